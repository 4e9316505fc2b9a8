// Supervisor wallboard: queues (waiting, longest wait, service level, abandon rate today),
// waiting callers (emergency highlighted), agents by state with time in state, force not-ready,
// alerts. Polls the API every 2 s.
import { api, $, el, lang, seconds, show, t, tv, whoami } from "./common.js";

const POLL_MS = 2000;
let alertsAfter = "0";

function pct(value) { return value === null || value === undefined ? "–" : `${value}%`; }

function byState(counts) {
  return Object.entries(counts).filter(([, n]) => n).map(([k, n]) => `${tv("state", k)} ${n}`).join(", ") || "–";
}

function renderQueues(queues) {
  $("#queues tbody").replaceChildren(...queues.map((q) => el("tr", { "data-queue": q.queue },
    el("td", {}, q.queue), el("td", { class: "waiting big" }, q.waiting),
    el("td", { class: "longest" }, seconds(q.longest_wait_s)), el("td", { class: "sl" }, pct(q.service_level_pct)),
    el("td", { class: "abandon" }, pct(q.abandon_rate_pct)), el("td", { class: "answered" }, q.answered),
    el("td", {}, q.abandoned), el("td", {}, byState(q.agents_by_state)))));
}

async function renderCallers(queues) {
  const busy = queues.filter((q) => q.waiting > 0);
  const details = await Promise.all(busy.map((q) => api("GET", `/api/queues/${encodeURIComponent(q.queue)}`)));
  const rows = details.flatMap((d) => d.calls.map((c) => {
    const emergency = c.priority === "emergency";
    return el("tr", { "data-call": c.call_id, class: emergency ? "emergency" : null },
      el("td", {}, d.queue), el("td", {}, c.call_id), el("td", { "data-priority": c.priority }, tv("priority", c.priority)),
      el("td", {}, seconds(c.wait_s)), el("td", {}, c.info.caller || "–"), el("td", {}, c.info.account || "–"));
  }));
  $("#callers tbody").replaceChildren(...rows);
}

async function forceNotReady(agentId) {
  try {
    await api("POST", `/api/agents/${encodeURIComponent(agentId)}/force-not-ready`, { reason: "meeting" });
    show("#status", t("wb.forced", { agent: agentId }), "ok");
    await poll();
  } catch (err) {
    show("#status", err, "error");
  }
}

function renderAgents(agents) {
  $("#agents tbody").replaceChildren(...agents.map((a) => el("tr", { "data-agent": a.agent_id, "data-state": a.state },
    el("td", {}, a.agent_id), el("td", {}, a.name), el("td", { class: "state", "data-state": a.state }, tv("state", a.state)),
    el("td", { class: "reason" }, a.reason ? tv("reason", a.reason) : ""), el("td", {}, seconds(a.time_in_state_s)), el("td", {}, a.call_id || ""),
    el("td", {}, a.calls_handled),
    el("td", {}, ["ready", "reserved", "on_call", "wrap_up"].includes(a.state)
      ? el("button", { type: "button", class: "force", onclick: () => forceNotReady(a.agent_id) }, t("wb.force"))
      : ""))));
}

async function pollAlerts() {
  const data = await api("GET", `/api/alerts?after=${encodeURIComponent(alertsAfter)}`);
  alertsAfter = data.next;
  for (const alert of data.alerts) {
    const { id, kind } = alert;
    const fields = Object.entries(alert).filter(([k]) => !["id", "type", "kind", "at"].includes(k));
    const words = fields.map(([k, v]) => `${k}=${v}`).join(" ");
    $("#alerts").prepend(el("li", { "data-alert": id, "data-kind": kind },
      el("strong", {}, tv("alert", kind)), " ", words));
  }
}

async function poll() {
  const [queues, agents] = await Promise.all([api("GET", "/api/queues"), api("GET", "/api/agents")]);
  renderQueues(queues.queues);
  // wallboard-charts.js colours the rows by the thresholds and samples the callers waiting
  document.dispatchEvent(new CustomEvent("wallboard:queues", { detail: queues.queues }));
  renderAgents(agents.agents);
  await renderCallers(queues.queues);
  await pollAlerts();
  $("#updated").textContent = new Date().toLocaleTimeString(lang);
  document.body.dataset.polls = String(Number(document.body.dataset.polls || 0) + 1);
}

async function loop() {
  try {
    await poll();
    show("#status", "");
  } catch (err) {
    show("#status", err, "error");
  }
  setTimeout(loop, POLL_MS);
}

whoami().then(loop).catch((err) => show("#status", err, "error"));
