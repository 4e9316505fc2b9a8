// Admin: edit one flow's YAML with server-side validation as you type (debounced 400 ms),
// errors marked at their line; graph, "try it" simulator, diff, save, publish and rollback.
// The graph (Graphviz SVG): a click on a node opens its YAML line in the editor (the node's link
// `#L<line>`); a "try it" run marks its visited nodes and the edges between them (`visited`).
import { api, $, el, errorText, show, t, whoami } from "./common.js";

const DEBOUNCE_MS = 400;
const LINE_PX = 18;  // the editor's line height (pages.css)
const flow = decodeURIComponent(location.pathname.split("/")[3] || "");
const base = `/api/admin/flows/${encodeURIComponent(flow)}`;
const editor = $("#yaml");
const gutter = $("#gutter");
let live = null;
let timer = null;
let checkSeq = 0;
let visited = [];  // the last "try it" run: [{flow, node}] in order
let atLine = null;  // the line opened from the graph

function renderGutter(errors = []) {
  const count = editor.value.split("\n").length;
  const bad = new Map(errors.map((e) => [e.line, e.message]));
  const rows = [];
  for (let n = 1; n <= count; n++) {
    const kind = [bad.has(n) ? "err" : "", n === atLine ? "at" : ""].join(" ").trim() || null;
    rows.push(el("div", { "data-line": n, class: kind, title: bad.get(n) }, n));
  }
  gutter.replaceChildren(...rows);
  gutter.scrollTop = editor.scrollTop;
}

function showErrors(errors) {
  renderGutter(errors);
  $("#errors").replaceChildren(...errors.map((e) =>
    el("li", { "data-line": e.line }, t("edit.error_at", { line: e.line, column: e.column, message: e.message }))));
}

async function drawGraph(yaml) {
  const init = yaml === undefined
    ? { method: "GET" }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ yaml }) };
  const response = await fetch(`/admin/flows/${encodeURIComponent(flow)}/graph.svg`, init);
  if (!response.ok) return;
  $("#graph").innerHTML = await response.text();  // server-rendered SVG, labels escaped there
  markPath();
  $("#graph-of").textContent = yaml === undefined ? t("edit.graph_live", { version: live }) : t("edit.graph_edited");
}

async function validate() {
  const seq = ++checkSeq;
  const yaml = editor.value;
  show("#validation", t("edit.checking"));
  try {
    const result = await api("POST", `${base}/validate`, { yaml });
    if (seq !== checkSeq) return;
    showErrors(result.errors);
    if (result.valid) {
      show("#validation", t("edit.valid"), "ok");
      drawGraph(yaml);
    } else {
      show("#validation", t("edit.errors", { n: result.errors.length }), "error");
    }
  } catch (err) {
    if (seq === checkSeq) show("#validation", err, "error");
  }
}

// Select line `line` of the editor and scroll it into view (a third from the top).
function goToLine(line) {
  const lines = editor.value.split("\n");
  const n = Math.min(Math.max(1, line), lines.length);
  const start = lines.slice(0, n - 1).reduce((sum, text) => sum + text.length + 1, 0);
  editor.focus();
  editor.setSelectionRange(start, start + lines[n - 1].length);
  editor.scrollTop = Math.max(0, (n - 1) * LINE_PX - editor.clientHeight / 3);
  atLine = n;
  renderGutter();
  editor.dataset.line = String(n);
}

function onGraphClick(event) {
  const node = event.target.closest("g.node");
  const link = node && node.querySelector("a");
  const href = link && (link.getAttribute("href") || link.getAttribute("xlink:href"));
  const match = href && /^#L(\d+)$/.exec(href);
  if (!match) return;
  event.preventDefault();
  goToLine(Number(match[1]));
}

function title(group) {
  const found = group.querySelector("title");
  return found ? found.textContent : "";
}

// Mark the last run's nodes of this flow and the edges it took between them (a jump into
// another flow: the edge to that flow's box).
function markPath() {
  const svg = $("#graph svg");
  if (!svg) return;
  for (const old of svg.querySelectorAll(".visited")) old.classList.remove("visited");
  const nodes = new Map([...svg.querySelectorAll("g.node")].map((g) => [title(g), g]));
  const edges = new Map([...svg.querySelectorAll("g.edge")].map((g) => [title(g), g]));
  visited.forEach((step, i) => {
    if (step.flow !== flow) return;
    const box = nodes.get(step.node);
    if (box) box.classList.add("visited");
    const next = visited[i + 1];
    if (!next) return;
    const target = next.flow === flow ? next.node : `flow:${next.flow}`;
    const edge = edges.get(`${step.node}->${target}`);
    if (edge) edge.classList.add("visited");
    if (next.flow !== flow && nodes.get(target)) nodes.get(target).classList.add("visited");
  });
  $("#graph").dataset.visited = String(svg.querySelectorAll("g.node.visited").length);
}

function scheduleValidation() {
  renderGutter();
  clearTimeout(timer);
  timer = setTimeout(validate, DEBOUNCE_MS);
}

async function loadVersions() {
  const data = await api("GET", `${base}/versions`);
  live = data.live;
  $("#live-version").textContent = live ?? "–";
  $("#versions tbody").replaceChildren(...data.versions.slice().reverse().map((v) => el("tr",
    { "data-version": v.version, class: v.live ? "live" : null },
    el("td", {}, v.version), el("td", {}, v.author), el("td", {}, v.created_at.slice(0, 19)),
    el("td", {}, v.comment),
    el("td", {}, v.live ? t("edit.live") : el("button", { type: "button", class: "make-live",
      onclick: () => makeLive(v.version) }, v.version < live ? t("edit.roll_back") : t("edit.publish"))))));
  const options = () => data.versions.map((v) => el("option", { value: v.version }, `v${v.version}`));
  $("#diff-from").replaceChildren(...options());
  $("#diff-to").replaceChildren(...options());
  if (data.versions.length) {
    $("#diff-from").value = String(live ?? data.versions[0].version);
    $("#diff-to").value = String(data.versions[data.versions.length - 1].version);
  }
  return data;
}

async function makeLive(version) {
  const action = live !== null && version < live ? "rollback" : "publish";
  const comment = $("#comment").value;
  try {
    await api("POST", `${base}/${action}`, { version, comment });
    await loadVersions();
    show("#status", action === "rollback" ? t("edit.rolled_back", { version }) : t("edit.published", { version }), "ok");
    drawGraph();
  } catch (err) {
    if (err.body.details && err.body.details.errors) showErrors(err.body.details.errors);
    show("#status", err, "error");
  }
}

async function save(publish) {
  try {
    const saved = await api("POST", `${base}/versions`, { yaml: editor.value, comment: $("#comment").value });
    showErrors(saved.errors);
    await loadVersions();
    if (!publish) {
      const n = saved.errors.length;
      const note = n ? t("edit.saved_errors", { version: saved.version, n }) : t("edit.saved", { version: saved.version });
      return show("#status", note, n ? "error" : "ok");
    }
    await makeLive(saved.version);
  } catch (err) {
    show("#status", err, "error");
  }
}

async function simulate() {
  try {
    const result = await api("POST", `${base}/simulate`, { inputs: $("#sim-inputs").value, yaml: editor.value });
    $("#transcript").textContent = result.transcript.join("\n");
    visited = result.visited || [];
    markPath();
  } catch (err) {
    $("#transcript").textContent = errorText(err);
  }
}

async function diff() {
  try {
    const q = `from=${$("#diff-from").value}&to=${$("#diff-to").value}`;
    const result = await api("GET", `${base}/diff?${q}`);
    const lines = result.diff.split("\n").map((line) => el("div", {
      class: line.startsWith("+") && !line.startsWith("+++") ? "add"
        : line.startsWith("-") && !line.startsWith("---") ? "del" : null }, line || " "));
    $("#diff-out").replaceChildren(...(result.diff ? lines : [el("div", {}, t("edit.no_difference"))]));
  } catch (err) {
    $("#diff-out").textContent = errorText(err);
  }
}

async function start() {
  $("#flow-name").textContent = flow;
  await whoami();
  const data = await loadVersions();
  const number = data.live ?? data.versions[data.versions.length - 1].version;
  const version = await api("GET", `${base}/versions/${number}`);
  editor.value = version.yaml;
  renderGutter();
  editor.addEventListener("input", scheduleValidation);
  editor.addEventListener("scroll", () => { gutter.scrollTop = editor.scrollTop; });
  $("#save").addEventListener("click", () => save(false));
  $("#save-publish").addEventListener("click", () => save(true));
  $("#simulate").addEventListener("click", simulate);
  $("#graph").addEventListener("click", onGraphClick);
  $("#diff").addEventListener("click", diff);
  document.body.dataset.ready = "true";
  drawGraph();
}

start().catch((err) => show("#status", err, "error"));
