// Wallboard: supervisor monitoring. Listen, whisper or barge into an agent's call from the
// agents table (agents on a call get the three buttons), and the live sessions with "stop".
// Rules: the server decides and audits (docs/call-control.md); the supervisor's phone is the
// endpoint typed here, else the phone of their own agent profile.
import { $, api, el, show } from "./common.js";

const POLL_MS = 2000;
const MODES = ["listen", "whisper", "barge"];

function panel() {
  return el("section", { id: "monitoring", class: "panel" },
    el("h2", {}, "Monitoring"),
    el("label", { for: "mon-endpoint" }, "My phone "),
    el("input", { id: "mon-endpoint", placeholder: "PJSIP/9001", size: 14 }),
    el("table", { id: "mon-sessions" },
      el("thead", {}, el("tr", {}, ...["Call", "Agent", "Mode", "State", "Since", ""].map((h) => el("th", {}, h)))),
      el("tbody")),
    el("p", { id: "mon-status", class: "status" }));
}

async function start(callId, mode) {
  const endpoint = $("#mon-endpoint").value.trim();
  const body = endpoint ? { mode, endpoint } : { mode };
  try {
    await api("POST", `/api/calls/${encodeURIComponent(callId)}/monitor`, body);
    show("#mon-status", `${mode}: your phone rings`, "ok");
  } catch (err) {
    show("#mon-status", err.message, "error");
  }
}

async function stop(id) {
  try {
    await api("DELETE", `/api/monitoring/${encodeURIComponent(id)}`);
    show("#mon-status", "stopped", "ok");
  } catch (err) {
    show("#mon-status", err.message, "error");
  }
}

function addButtons() {
  for (const row of document.querySelectorAll("#agents tbody tr")) {
    const cells = row.querySelectorAll("td");
    const callId = cells.length > 5 ? cells[5].textContent.trim() : "";
    const onCall = cells.length > 2 && cells[2].textContent.trim() === "on_call";
    if (!callId || !onCall || row.querySelector(".mon")) continue;
    const buttons = MODES.map((mode) =>
      el("button", { type: "button", class: "mon", onclick: () => start(callId, mode) }, mode));
    cells[cells.length - 1].append(...buttons);
  }
}

async function poll() {
  try {
    const data = await api("GET", "/api/monitoring");
    $("#mon-sessions tbody").replaceChildren(...data.monitoring.map((s) => el("tr", {},
      el("td", {}, s.call_id), el("td", {}, s.agent_id), el("td", {}, s.mode), el("td", {}, s.state),
      el("td", {}, s.started_at.slice(11, 19)),
      el("td", {}, el("button", { type: "button", onclick: () => stop(s.id) }, "stop")))));
    addButtons();
  } catch (err) {
    show("#mon-status", err.message, "error");
  }
  setTimeout(poll, POLL_MS);
}

const anchor = $("#alerts");
if (anchor) {
  (anchor.previousElementSibling || anchor).before(panel());  // above the "Alerts" heading
  new MutationObserver(addButtons).observe($("#agents tbody"), { childList: true });
  poll();
}
