// Agent desktop: state buttons with reason codes, the live offer with its screen pop (websocket),
// accept, wrap-up with disposition and notes, own calls today.
import { api, $, el, seconds, show, t, tv, whoami } from "./common.js";

const RECONNECT_MS = 2000;
let stateSince = null;
let currentCall = null;
let wrapCall = null;
let lastState = null;

function renderState(agent) {
  $("#state").textContent = tv("state", agent.state);
  $("#state").dataset.state = agent.state;
  $("#reason").textContent = agent.reason ? `(${tv("reason", agent.reason)})` : "";
  stateSince = Date.now() - 1000 * (agent.time_in_state_s || 0);
  tick();
  const wasTalking = lastState === "on_call" || lastState === "reserved";
  if (agent.state === "wrap_up" || (wasTalking && currentCall && agent.state !== "on_call")) {
    openWrapUp(currentCall || agent.call_id);
  }
  lastState = agent.state;
}

function tick() {
  $("#time-in-state").textContent = stateSince === null ? "–" : seconds((Date.now() - stateSince) / 1000);
}

function text(value) {
  if (value === null || value === undefined || value === "") return "–";
  if (Array.isArray(value)) return value.join(" → ");
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}: ${v}`).join(", ");
  return String(value);
}

function showOffer(pop, phase) {
  currentCall = pop.call_id;
  $("#offer").hidden = false;
  $("#offer").dataset.call = pop.call_id;
  $("#emergency").hidden = !pop.emergency;
  // verified yes/no with the reason, never implied by EMERGENCY
  $("#verified").dataset.verified = pop.verified ? "true" : "false";
  $("#verified").textContent = pop.verified ? t("pop.is_verified")
    : pop.reason ? t("pop.not_verified_reason", { reason: tv("verify", pop.reason) }) : t("pop.not_verified");
  $("#pop-verified").textContent = pop.verified ? t("common.yes") : t("common.no");
  $("#pop-reason").textContent = tv("verify", pop.reason);
  $("#pop-call").textContent = pop.call_id;
  setPhase(phase);
  $("#pop-caller").textContent = text(pop.caller);
  $("#pop-account").textContent = text(pop.account);
  $("#pop-vip").textContent = text(pop.vip_tier);
  $("#pop-language").textContent = text(pop.language);
  $("#pop-queue").textContent = text(pop.queue);
  $("#pop-path").textContent = text(pop.ivr_path);
  $("#pop-intent").textContent = text(pop.intent);
  $("#pop-wait").textContent = seconds(pop.wait_s);
  $("#pop-order").textContent = text(pop.order);
  const { requested_queue: requested, ...extra } = pop.extra || {};
  $("#pop-requested").textContent = text(requested);
  $("#pop-callback").textContent = text(pop.callback);
  $("#pop-extra").textContent = text(Object.keys(extra).length ? extra : null);
  // contacts-desk.js shows the caller's last contacts
  document.dispatchEvent(new CustomEvent("desk:call", { detail: { call_id: pop.call_id, phase } }));
  // the phone may answer before the click: accepting stays possible until the call ends
  $("#btn-accept").disabled = !["offered", "connected"].includes(phase);
}

function setPhase(phase) {
  $("#pop-phase").dataset.phase = phase;
  $("#pop-phase").textContent = tv("phase", phase);
}

function openWrapUp(callId) {
  if (!callId || wrapCall === callId) return;
  wrapCall = callId;
  $("#wrap-call").textContent = callId;
  $("#wrapup").hidden = false;
  setPhase("ended");
  $("#btn-accept").disabled = true;
}

function onMessage(message) {
  if (message.type === "state") renderState(message);
  else if (message.type === "offer") showOffer(message.screen_pop, "offered");
  else if (message.type === "call" && message.call_id === currentCall) {
    if (message.event === "answered") {
      if ($("#pop-phase").dataset.phase === "offered") setPhase("connected");
    } else if (message.event === "ended") {
      openWrapUp(message.call_id);
    } else if (message.event === "requeued") {
      $("#offer").hidden = true;
      currentCall = null;
    }
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/agents/me/ws`);
  ws.addEventListener("open", () => { document.body.dataset.live = "true"; });
  ws.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
  ws.addEventListener("close", () => {
    document.body.dataset.live = "false";
    setTimeout(connect, RECONNECT_MS);
  });
}

async function act(method, path, body, done) {
  try {
    const result = await api(method, `/api/agents/me${path}`, body);
    if (result && result.state) renderState(result);
    show("#status", done, "ok");
    return result;
  } catch (err) {
    show("#status", err, "error");
    return null;
  }
}

async function loadHistory() {
  const data = await api("GET", "/api/agents/me/history");
  $("#history tbody").replaceChildren(...data.calls.map((c) => el("tr", { "data-call": c.call_id },
    el("td", {}, c.at.slice(11, 19)), el("td", {}, c.call_id), el("td", {}, text(c.queue)),
    el("td", {}, text(c.caller)),
    el("td", { class: "disposition", "data-disposition": c.disposition }, tv("disposition", c.disposition)),
    el("td", {}, c.notes))));
}

async function loadPinLocks() {
  let data;
  try {
    data = await api("GET", "/api/pin-locks");
  } catch {
    return;  // this user may not see or unlock PIN locks: no panel
  }
  $("#pin-locks").hidden = false;
  $("#pin-locks tbody").replaceChildren(...data.locks.map((lock) => el("tr", { "data-lock": lock.id },
    el("td", {}, String(lock.id)), el("td", {}, tv("scope", lock.scope)), el("td", {}, lock.label),
    el("td", {}, String(lock.failures)), el("td", {}, lock.locked_at.slice(0, 19)),
    el("td", {}, lock.expires_at ? lock.expires_at.slice(0, 19) : t("locks.until_unlocked")),
    el("td", {}, el("button", { type: "button", class: "unlock", onclick: () => unlock(lock) }, t("locks.unlock"))))));
}

async function unlock(lock) {
  const reason = prompt(t("locks.why", { scope: tv("scope", lock.scope), label: lock.label }));
  if (!reason) return;
  try {
    await api("POST", `/api/pin-locks/${lock.id}/unlock`, { reason });
    show("#status", t("locks.unlocked", { scope: tv("scope", lock.scope), label: lock.label }), "ok");
  } catch (err) {
    show("#status", err, "error");
  }
  await loadPinLocks();
}

function wire() {
  $("#btn-login").addEventListener("click", () => act("POST", "/login", { ready: false }, t("agent.done_login")));
  $("#btn-ready").addEventListener("click", () => act("PUT", "/state", { state: "ready" }, t("agent.done_ready")));
  $("#btn-not-ready").addEventListener("click", () =>
    act("PUT", "/state", { state: "not_ready", reason: $("#reason-code").value }, t("agent.done_not_ready")));
  $("#btn-logout").addEventListener("click", () => act("POST", "/logout", undefined, t("agent.done_logout")));
  $("#btn-accept").addEventListener("click", async () => {
    const result = await act("POST", `/calls/${encodeURIComponent(currentCall)}/accept`, undefined, t("agent.done_accept"));
    if (result) {
      setPhase("accepted");
      $("#btn-accept").disabled = true;
    }
  });
  $("#wrapup").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { disposition: $("#disposition").value, notes: $("#notes").value };
    const result = await act("POST", `/calls/${encodeURIComponent(wrapCall)}/disposition`, body, t("agent.done_wrapup"));
    if (!result) return;
    renderState(result.agent);
    $("#wrapup").hidden = true;
    $("#offer").hidden = true;
    $("#notes").value = "";
    currentCall = null;
    await loadHistory();
  });
}

async function start() {
  await whoami();
  wire();
  try {
    const agent = await api("GET", "/api/agents/me");
    $("#agent-id").textContent = `${agent.name} · ${agent.agent_id}`;
    renderState(agent);
    if (agent.current_call) showOffer(agent.current_call, agent.state === "reserved" ? "offered" : "connected");
  } catch (err) {
    return show("#status", err, "error");
  }
  await loadHistory();
  await loadPinLocks();
  connect();
  setInterval(tick, 1000);
}

start().catch((err) => show("#status", err, "error"));
