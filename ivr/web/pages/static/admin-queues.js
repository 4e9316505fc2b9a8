// Admin: edit config/queues.yaml with server-side validation as you type (debounced 400 ms):
// errors of the file are marked at their line; errors of live flows (a queue or skill they use
// would disappear) are listed with their flow file:line. The parsed queues show in a table.
import { api, $, el, show, t, whoami } from "./common.js";

const DEBOUNCE_MS = 400;
const base = "/api/admin/queues";
const editor = $("#yaml");
const gutter = $("#gutter");
let timer = null;
let checkSeq = 0;
let ownPath = null;  // errors with this path are lines of the edited file

function renderGutter(errors = []) {
  const count = editor.value.split("\n").length;
  const mine = errors.filter((e) => e.path === ownPath);
  const bad = new Map(mine.map((e) => [e.line, e.message]));
  const rows = [];
  for (let n = 1; n <= count; n++) {
    rows.push(el("div", { "data-line": n, class: bad.has(n) ? "err" : null, title: bad.get(n) }, n));
  }
  gutter.replaceChildren(...rows);
  gutter.scrollTop = editor.scrollTop;
}

function showErrors(errors) {
  renderGutter(errors);
  $("#errors").replaceChildren(...errors.map((e) => e.path === ownPath
    ? el("li", { "data-line": e.line }, t("edit.error_at", { line: e.line, column: e.column, message: e.message }))
    : el("li", { class: "flow" }, e.text)));
}

function skills(map) {
  return Object.entries(map).map(([s, level]) => `${s}≥${level}`).join(", ");
}

function overflow(steps) {
  return steps.map((s) => {
    const [kind, value] = Object.entries(s).find(([k]) => k !== "after_s");
    const what = Array.isArray(value) ? value.join("/") : typeof value === "object" ? skills(value) : value;
    return `${s.after_s}s ${kind} ${what}`;
  }).join("; ");
}

function renderQueues(queues, note) {
  $("#queues-of").textContent = note;
  $("#queues tbody").replaceChildren(...queues.map((q) => el("tr", { "data-queue": q.name },
    el("td", {}, q.name), el("td", {}, skills(q.skills)),
    el("td", {}, t("queues.sl_value", { percent: q.service_level.percent, within: q.service_level.within_s })),
    el("td", { class: "max-wait" }, `${q.max_wait_s}s`), el("td", {}, `${q.ring_timeout_s}s`),
    el("td", {}, `${q.wrap_up_s}s`), el("td", {}, q.strategy), el("td", {}, overflow(q.overflow)))));
}

async function validate() {
  const seq = ++checkSeq;
  show("#validation", t("edit.checking"));
  try {
    const result = await api("POST", `${base}/validate`, { yaml: editor.value });
    if (seq !== checkSeq) return;
    showErrors(result.errors);
    if (result.valid) {
      show("#validation", t("edit.valid"), "ok");
      renderQueues(result.queues, t("queues.of_edited"));
    } else {
      show("#validation", t("edit.errors", { n: result.errors.length }), "error");
    }
  } catch (err) {
    if (seq === checkSeq) show("#validation", err, "error");
  }
}

function scheduleValidation() {
  renderGutter();
  clearTimeout(timer);
  timer = setTimeout(validate, DEBOUNCE_MS);
}

async function save() {
  clearTimeout(timer);
  checkSeq++;
  try {
    const saved = await api("PUT", base, { yaml: editor.value, comment: $("#comment").value });
    showErrors([]);
    show("#validation", t("edit.valid"), "ok");
    renderQueues(saved.queues, t("queues.of_saved"));
    show("#status", t("queues.saved", { n: saved.queues.length }), "ok");
  } catch (err) {
    if (err.body.details && err.body.details.errors) showErrors(err.body.details.errors);
    show("#status", err, "error");
  }
}

async function start() {
  await whoami();
  const data = await api("GET", base);
  ownPath = data.path;
  editor.value = data.yaml;
  showErrors(data.errors);
  renderQueues(data.queues, t("queues.of_in_use"));
  editor.addEventListener("input", scheduleValidation);
  editor.addEventListener("scroll", () => { gutter.scrollTop = editor.scrollTop; });
  $("#save").addEventListener("click", save);
  document.body.dataset.ready = "true";
}

start().catch((err) => show("#status", err, "error"));
