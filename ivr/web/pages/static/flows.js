// Admin: the list of flows with their live and latest versions.
import { api, $, el, show, whoami } from "./common.js";

async function load() {
  await whoami();
  const data = await api("GET", "/api/admin/flows");
  const body = $("#flows tbody");
  body.replaceChildren(...data.flows.map((f) => el("tr", { "data-flow": f.flow },
    el("td", {}, el("a", { href: `/admin/flows/${encodeURIComponent(f.flow)}` }, f.flow)),
    el("td", { class: "live" }, f.live ?? "–"),
    el("td", {}, f.latest ?? "–"),
    el("td", {}, f.versions))));
}

load().catch((err) => show("#status", err, "error"));
