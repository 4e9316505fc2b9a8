// Agent desktop: call controls of the connected call (hold, resume, blind transfer to a queue)
// and, when the setting allows it, a notice that a supervisor monitors the call.
// Rules: everything goes through the JSON API (docs/call-control.md); the page only shows what
// the server answers (the call's state after each action); polled every 2 s, no secret in URLs.
import { $, api, el, show } from "./common.js";

const POLL_MS = 2000;
let callId = null;

function panel() {
  return el("section", { id: "controls", class: "panel", hidden: true },
    el("h2", {}, "Call controls ", el("small", { id: "ctl-state", class: "muted" })),
    el("p", { id: "ctl-monitored", class: "banner", hidden: true }),
    el("button", { id: "btn-hold", type: "button" }, "Hold"), " ",
    el("button", { id: "btn-resume", type: "button" }, "Resume"), " ",
    el("label", { for: "ctl-queue" }, "Transfer to queue "),
    el("select", { id: "ctl-queue" }), " ",
    el("button", { id: "btn-transfer", type: "button" }, "Transfer"),
    el("p", { id: "ctl-status", class: "status" }));
}

function render(call) {
  const box = $("#controls");
  box.hidden = !call;
  if (!call) return;
  const select = $("#ctl-queue");
  if (call.transfer_queues && select.options.length !== call.transfer_queues.length) {
    select.replaceChildren(...call.transfer_queues.map((name) => el("option", { value: name }, name)));
  }
  $("#ctl-state").textContent = call.on_hold ? `call ${call.call_id}: on hold` : `call ${call.call_id}: talking`;
  $("#btn-hold").disabled = call.on_hold;
  $("#btn-resume").disabled = !call.on_hold;
}

async function act(path, body, done) {
  try {
    render(await api("POST", `/api/calls/${encodeURIComponent(callId)}/${path}`, body));
    show("#ctl-status", done, "ok");
  } catch (err) {
    show("#ctl-status", err.message, "error");
  }
}

async function poll() {
  try {
    const agent = await api("GET", "/api/agents/me");
    const call = agent.current_call;
    callId = call && agent.state === "on_call" ? call.call_id : null;
    render(callId ? await api("GET", `/api/calls/${encodeURIComponent(callId)}/control`) : null);
    const seen = await api("GET", "/api/agents/me/monitoring");
    const live = seen.monitoring.filter((m) => m.state === "live");
    $("#ctl-monitored").hidden = live.length === 0;
    $("#ctl-monitored").textContent = live.map((m) => `monitored: ${m.mode} by ${m.supervisor}`).join("; ");
  } catch {
    render(null);  // not connected to a call here (or no agent profile)
  }
  setTimeout(poll, POLL_MS);
}

async function start() {
  const anchor = $("#offer");
  if (!anchor) return;
  anchor.after(panel());
  $("#btn-hold").addEventListener("click", () => act("hold", undefined, "on hold: the client hears music"));
  $("#btn-resume").addEventListener("click", () => act("resume", undefined, "resumed"));
  $("#btn-transfer").addEventListener("click", () =>
    act("transfer", { to: "queue", queue: $("#ctl-queue").value }, "transferred"));
  poll();
}

start();
