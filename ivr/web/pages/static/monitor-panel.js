// Wallboard: supervisor monitoring. Listen, whisper or barge into an agent's call from the
// agents table (agents on a call get the three buttons), and the live sessions with "stop".
// Rules: the server decides and audits (docs/call-control.md); the supervisor's phone is the
// endpoint typed here, else the phone of their own agent profile.
import { $, api, el, show, t, tv } from "./common.js";

const POLL_MS = 2000;
const MODES = ["listen", "whisper", "barge"];

function panel() {
  return el("section", { id: "monitoring", class: "panel" },
    el("h2", {}, t("mon.heading")),
    el("label", { for: "mon-endpoint" }, t("mon.phone"), " "),
    el("input", { id: "mon-endpoint", placeholder: "PJSIP/9001", size: 14 }),
    el("table", { id: "mon-sessions" },
      el("thead", {}, el("tr", {}, el("th", {}, t("mon.call")), el("th", {}, t("mon.agent")), el("th", {}, t("mon.mode")),
        el("th", {}, t("mon.state")), el("th", {}, t("mon.since")), el("th"))),
      el("tbody")),
    el("p", { id: "mon-status", class: "status" }));
}

async function start(callId, mode) {
  const endpoint = $("#mon-endpoint").value.trim();
  const body = endpoint ? { mode, endpoint } : { mode };
  try {
    await api("POST", `/api/calls/${encodeURIComponent(callId)}/monitor`, body);
    show("#mon-status", t("mon.rings", { mode: tv("mode", mode) }), "ok");
  } catch (err) {
    show("#mon-status", err, "error");
  }
}

async function stop(id) {
  try {
    await api("DELETE", `/api/monitoring/${encodeURIComponent(id)}`);
    show("#mon-status", t("mon.stopped"), "ok");
  } catch (err) {
    show("#mon-status", err, "error");
  }
}

function addButtons() {
  for (const row of document.querySelectorAll("#agents tbody tr")) {
    const cells = row.querySelectorAll("td");
    const callId = cells.length > 5 ? cells[5].textContent.trim() : "";
    const onCall = row.dataset.state === "on_call";
    if (!callId || !onCall || row.querySelector(".mon")) continue;
    const buttons = MODES.map((mode) =>
      el("button", { type: "button", class: "mon", "data-mode": mode, onclick: () => start(callId, mode) }, tv("mode", mode)));
    cells[cells.length - 1].append(...buttons);
  }
}

async function poll() {
  try {
    const data = await api("GET", "/api/monitoring");
    $("#mon-sessions tbody").replaceChildren(...data.monitoring.map((s) => el("tr", {},
      el("td", {}, s.call_id), el("td", {}, s.agent_id), el("td", {}, tv("mode", s.mode)),
      el("td", { "data-state": s.state }, tv("monitor", s.state)),
      el("td", {}, s.started_at.slice(11, 19)),
      el("td", {}, el("button", { type: "button", class: "mon-stop", onclick: () => stop(s.id) }, t("mon.stop"))))));
    addButtons();
  } catch (err) {
    show("#mon-status", err, "error");
  }
  setTimeout(poll, POLL_MS);
}

const anchor = $("#alerts");
if (anchor) {
  (anchor.previousElementSibling || anchor).before(panel());  // above the "Alerts" heading
  new MutationObserver(addButtons).observe($("#agents tbody"), { childList: true });
  poll();
}
