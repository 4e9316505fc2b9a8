// Wallboard tile: open and overdue follow-up items per kind (GET /api/followups/counts), every 2 s.
import { api, $, el, tv } from "./common.js";

const POLL_MS = 2000;

async function refresh() {
  const data = await api("GET", "/api/followups/counts");
  $("#followup-counts tbody").replaceChildren(...Object.entries(data.counts).map(([kind, c]) =>
    el("tr", { "data-kind": kind, class: c.overdue ? "emergency" : null },
      el("td", {}, tv("fu_kind", kind)), el("td", { class: "open big" }, c.open), el("td", { class: "overdue" }, c.overdue))));
}

async function loop() {
  try { await refresh(); } catch { /* the wallboard's own status line reports failures */ }
  setTimeout(loop, POLL_MS);
}

loop();
