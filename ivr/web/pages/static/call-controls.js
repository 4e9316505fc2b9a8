// Agent desktop: call controls of the connected call (hold, resume, blind transfer to a queue,
// an agent or a number; warm transfer with complete/cancel; three-way conference) and, when the
// setting allows it, a notice that a supervisor monitors the call.
// Rules: everything goes through the JSON API (docs/call-control.md); the page only shows what
// the server answers (the call's state after each action); polled every 2 s, no secret in URLs.
import { $, api, el, show, t, tv } from "./common.js";

const POLL_MS = 2000;
let callId = null;

function panel() {
  return el("section", { id: "controls", class: "panel", hidden: true },
    el("h2", {}, t("ctl.heading"), " ", el("small", { id: "ctl-state", class: "muted" })),
    el("p", { id: "ctl-monitored", class: "banner", hidden: true }),
    el("button", { id: "btn-hold", type: "button" }, t("ctl.hold")), " ",
    el("button", { id: "btn-resume", type: "button" }, t("ctl.resume")), " ",
    el("label", { for: "ctl-queue" }, t("ctl.to_queue"), " "),
    el("select", { id: "ctl-queue" }), " ",
    el("button", { id: "btn-transfer", type: "button" }, t("ctl.transfer")),
    el("p", {},
      el("label", { for: "ctl-person" }, t("ctl.person"), " "),
      el("input", { id: "ctl-person", size: 16, placeholder: "gen-1 / 13912345678" }), " ",
      el("button", { id: "btn-blind", type: "button" }, t("ctl.blind")), " ",
      el("button", { id: "btn-consult", type: "button" }, t("ctl.consult")), " ",
      el("button", { id: "btn-complete", type: "button" }, t("ctl.complete")), " ",
      el("button", { id: "btn-cancel", type: "button" }, t("ctl.cancel")), " ",
      el("button", { id: "btn-conference", type: "button" }, t("ctl.conference")),
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
  $("#ctl-state").textContent = call.on_hold
    ? t("ctl.on_hold", { call: call.call_id }) : t("ctl.talking", { call: call.call_id });
  $("#ctl-state").dataset.hold = call.on_hold ? "true" : "false";
  const transfer = call.transfer;
  const phase = transfer ? transfer.phase : "";
  $("#ctl-transfer").textContent = transfer ? `${transfer.target}: ${tv("transfer", phase)}` : "";
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
    show("#ctl-status", err, "error");
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
    $("#ctl-monitored").textContent = live.map((m) =>
      t("ctl.monitored", { mode: tv("mode", m.mode), supervisor: m.supervisor })).join("; ");
  } catch {
    render(null);  // not connected to a call here (or no agent profile)
  }
  setTimeout(poll, POLL_MS);
}

async function start() {
  const anchor = $("#offer");
  if (!anchor) return;
  anchor.after(panel());
  $("#btn-hold").addEventListener("click", () => act("hold", undefined, t("ctl.done_hold")));
  $("#btn-resume").addEventListener("click", () => act("resume", undefined, t("ctl.done_resume")));
  $("#btn-transfer").addEventListener("click", () =>
    act("transfer", { to: "queue", queue: $("#ctl-queue").value }, t("ctl.done_transfer")));
  $("#btn-blind").addEventListener("click", () => act("transfer", person(), t("ctl.done_blind")));
  $("#btn-consult").addEventListener("click", () => act("consult", person(), t("ctl.done_consult")));
  $("#btn-complete").addEventListener("click", () => act("consult/complete", undefined, t("ctl.done_complete")));
  $("#btn-cancel").addEventListener("click", () => act("consult/cancel", undefined, t("ctl.done_cancel")));
  $("#btn-conference").addEventListener("click", () => act("conference", undefined, t("ctl.done_conference")));
  poll();
}

start();
