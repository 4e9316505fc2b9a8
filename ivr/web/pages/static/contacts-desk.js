// Agent desktop: the caller's last 5 contacts (earlier calls with date, outcome and queue, the
// masked account, dispositions and follow-up items) under the screen pop, fetched when a call
// is offered or connected (agent.js's "desk:call" event) from
// GET /api/agents/me/calls/{call_id}/contacts (only the agent holding the call may read it).
// Every text shown is in TEXT (translated at one place).
import { api, $, el, errorText, t, tv } from "./common.js";

const TEXT = {
  title: t("contacts.title"),
  none: t("contacts.none"),
  failed: t("contacts.failed"),
  columns: [t("contacts.when"), t("contacts.outcome"), t("contacts.queue"), t("contacts.account"),
    t("contacts.dispositions"), t("contacts.followups")],
  dash: "–",
};

let shown = null;

function when(iso, zone) {  // in the hotline's zone, e.g. 2026-12-04 20:14
  if (!iso) return TEXT.dash;
  const parts = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat("sv-SE", { ...parts, timeZone: zone || undefined }).format(new Date(iso));
}

function dispositions(list) {
  if (!list.length) return TEXT.dash;
  return list.map((d) => `${tv("disposition", d.disposition)} (${d.agent_id})${d.notes ? `: ${d.notes}` : ""}`).join("; ");
}

function followups(list) {
  if (!list.length) return TEXT.dash;
  return list.map((f) => `${tv("fu_kind", f.kind)} ${f.reference || `#${f.id}`} ${tv("fu_status", f.status)}${f.outcome ? ` (${tv("outcome", f.outcome)})` : ""}`).join("; ");
}

function render(data) {
  const box = $("#contacts");
  const rows = data.contacts.map((c) => el("tr", { "data-call": c.call_id },
    el("td", { class: "when" }, when(c.started_at, data.zone)), el("td", { class: "outcome" }, c.outcome ? tv("call_outcome", c.outcome) : TEXT.dash),
    el("td", {}, c.queue || TEXT.dash), el("td", { class: "account" }, c.account || TEXT.dash),
    el("td", { class: "dispositions" }, dispositions(c.dispositions)),
    el("td", { class: "followups" }, followups(c.followups))));
  box.replaceChildren(el("h3", {}, TEXT.title),
    rows.length
      ? el("table", { class: "contacts" }, el("thead", {}, el("tr", {}, TEXT.columns.map((c) => el("th", {}, c)))),
        el("tbody", {}, rows))
      : el("p", { class: "muted none" }, TEXT.none));
  box.dataset.call = data.call_id;
}

async function load(callId) {
  try {
    render(await api("GET", `/api/agents/me/calls/${encodeURIComponent(callId)}/contacts`));
  } catch (err) {
    $("#contacts").replaceChildren(el("p", { class: "muted" }, `${TEXT.failed}: ${errorText(err)}`));
    shown = null;  // try again at the next phase (offered -> connected)
  }
}

document.addEventListener("desk:call", (event) => {
  const { call_id: callId } = event.detail;
  if (!callId || callId === shown) return;
  shown = callId;
  $("#contacts").replaceChildren();
  load(callId);
});
