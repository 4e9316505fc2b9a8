// Agent desktop: call controls of the connected call (hold, resume, blind transfer to a queue,
// an agent or a number; warm transfer with complete/cancel; three-way conference) and, when the
// setting allows it, a notice that a supervisor monitors the call.
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
    el("p", {},
      el("label", { for: "ctl-person" }, "Agent id or phone number "),
      el("input", { id: "ctl-person", size: 16, placeholder: "gen-1 / 13912345678" }), " ",
      el("button", { id: "btn-blind", type: "button" }, "Blind transfer"), " ",
      el("button", { id: "btn-consult", type: "button" }, "Consult"), " ",
      el("button", { id: "btn-complete", type: "button" }, "Complete"), " ",
      el("button", { id: "btn-cancel", type: "button" }, "Cancel"), " ",
      el("button", { id: "btn-conference", type: "button" }, "Conference"),
      " ", el("small", { id: "ctl-transfer", class: "muted" })),
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
  const transfer = call.transfer;
  const phase = transfer ? transfer.phase : "";
  $("#ctl-transfer").textContent = transfer ? `${transfer.target}: ${phase}` : "";
  $("#btn-hold").disabled = call.on_hold || Boolean(transfer);
  $("#btn-resume").disabled = !call.on_hold || Boolean(transfer);
  $("#btn-blind").disabled = $("#btn-consult").disabled = Boolean(transfer);
  $("#btn-complete").disabled = !["consulting", "conference"].includes(phase);
  $("#btn-cancel").disabled = !["consult_ringing", "consulting"].includes(phase);
  $("#btn-conference").disabled = phase !== "consulting";
}

function person() {
  const value = $("#ctl-person").value.trim();
  return /^[+0-9][0-9 ()-]*$/.test(value) ? { to: "number", number: value } : { to: "agent", agent_id: value };
}

async function act(path, body, done) {
  try {
    await api("POST", `/api/calls/${encodeURIComponent(callId)}/${path}`, body);
    render(await api("GET", `/api/calls/${encodeURIComponent(callId)}/control`));
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
  $("#btn-blind").addEventListener("click", () => act("transfer", person(), "transferring"));
  $("#btn-consult").addEventListener("click", () => act("consult", person(), "consulting: the client is on hold"));
  $("#btn-complete").addEventListener("click", () => act("consult/complete", undefined, "handed over"));
  $("#btn-cancel").addEventListener("click", () => act("consult/cancel", undefined, "back to the client"));
  $("#btn-conference").addEventListener("click", () => act("conference", undefined, "three-way"));
  poll();
}

start();
