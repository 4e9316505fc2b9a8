// Agent desktop, follow-ups panel: the items an agent can work (open ones and their own), phone
// orders first with the captured order, play links to the recordings (audited listen through
// /api/followups/{id}/recordings/{rid}), claim, call back (the app rings the agent first, then
// the client), close with an outcome. Polls every 3 s.
import { api, $, el, show, t, tv } from "./common.js";

const POLL_MS = 3000;
const ORDER_FIELDS = ["product", "month", "direction", "offset", "price_type", "price", "lots"];
const OUTCOMES = ["order_confirmed", "order_cancelled", "answered", "resolved", "unreachable", "wrong_number"];
let me = null;

function orderText(order) {
  if (!order) return "";
  return ORDER_FIELDS.filter((k) => order[k]).map((k) => `${k}: ${order[k]}`).join(", ");
}

async function act(id, action, body, done) {
  try {
    await api("POST", `/api/followups/${id}/${action}`, body);
    show("#fu-status", done, "ok");
  } catch (err) {
    show("#fu-status", err, "error");
  }
  await refresh();
}

function actions(item) {
  if (item.status === "open") {
    return el("button", { type: "button", class: "fu-claim", onclick: () => act(item.id, "claim", undefined, t("fu.claimed", { id: item.id })) }, t("fu.claim"));
  }
  if (item.claimed_by !== me) return el("span", { class: "muted" }, t("fu.claimed_by", { name: item.claimed_by }));
  const outcome = el("select", { class: "fu-outcome", "aria-label": t("fu.outcome") },
    ...OUTCOMES.map((o) => el("option", { value: o }, tv("outcome", o))));
  const failed = ["unreachable", "wrong_number"];
  return el("span", {},
    el("button", { type: "button", class: "fu-call", onclick: () => act(item.id, "call", undefined, t("fu.calling", { id: item.id })) }, t("fu.call_back")),
    " ", outcome, " ",
    el("button", { type: "button", class: "fu-close", onclick: () => act(item.id, "close",
      { status: failed.includes(outcome.value) ? "failed" : "done", outcome: outcome.value }, t("fu.closed", { id: item.id })) },
      t("fu.close")));
}

async function playLinks(item) {
  if (item.claimed_by !== me) return "";
  const detail = await api("GET", `/api/followups/${item.id}`);
  return el("span", {}, ...detail.followup.recordings.map((r) => el("a", {
    href: `${r.play}?reason=${encodeURIComponent(`follow-up ${item.id}`)}`, target: "_blank",
    class: "fu-play", "data-purpose": r.purpose }, `▶ ${tv("purpose", r.purpose)}`)).flatMap((a) => [a, " "]));
}

async function refresh() {
  const data = await api("GET", "/api/followups");
  const items = data.followups.filter((i) =>
    i.status === "open" || (["claimed", "in_progress"].includes(i.status) && i.claimed_by === me));
  const rows = await Promise.all(items.map(async (i) => el("tr", {
    "data-followup": i.id, "data-kind": i.kind, "data-status": i.status,
    class: [i.kind === "phone_order" ? "emergency" : "", i.overdue ? "overdue" : ""].join(" ").trim() || null },
    el("td", {}, i.id), el("td", { class: "fu-kind" }, tv("fu_kind", i.kind)),
    el("td", { class: "fu-state" }, tv("fu_status", i.status)), el("td", {}, tv("fu_priority", i.priority)),
    el("td", {}, i.due_at.slice(0, 16).replace("T", " ") + (i.overdue ? ` (${t("fu.overdue")})` : "")),
    el("td", {}, i.caller), el("td", { class: "fu-account" }, i.account || "–"),
    el("td", { class: "fu-order" }, orderText(i.order)), el("td", {}, i.reason),
    el("td", { class: "fu-recordings" }, await playLinks(i)), el("td", {}, actions(i)))));
  $("#followups tbody").replaceChildren(...rows);
  document.body.dataset.followupPolls = String(Number(document.body.dataset.followupPolls || 0) + 1);
}

async function loop() {
  try {
    await refresh();
  } catch (err) {
    show("#fu-status", err, "error");
  }
  setTimeout(loop, POLL_MS);
}

async function start() {
  const session = await api("GET", "/api/session");
  me = session.user.name;
  await loop();
}

start().catch((err) => show("#fu-status", err, "error"));
