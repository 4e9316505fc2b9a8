// Wallboard pictures: each queue's service level, longest wait and abandon rate coloured green /
// amber / red by the thresholds of config/wallboard.yaml (with a word, not colour only), a chart
// of today (callers waiting and service level per 15 minutes, drawn here as SVG: no library),
// and the interval report's CSV export. Data: GET /api/reports/today (every 5 s, and at once
// when a queue's counts change) and the queues wallboard.js renders (its "wallboard:queues"
// event, every 2 s). Every text shown is in TEXT (translated at one place).
import { api, $, el, errorText, t } from "./common.js";

const TEXT = {
  chartTitle: t("charts.title"),
  waiting: t("charts.waiting"),
  serviceLevel: t("charts.service_level"),
  live: t("charts.live"),
  target: t("charts.target"),
  level: { green: "", amber: t("charts.amber"), red: t("charts.red") },
  levelTitle: { green: t("charts.within"), amber: t("charts.past_amber"), red: t("charts.past_red") },
  exportLabel: t("charts.export"),
  exportHint: t("charts.export_hint"),
  from: t("charts.from"),
  to: t("charts.to"),
  noData: t("charts.no_data"),
};
const SVG = "http://www.w3.org/2000/svg";
const CHART_MS = 5000;
const W = 960, H = 260, PAD = { left: 44, right: 44, top: 24, bottom: 30 };
const SLOTS = 96;  // 15-minute intervals of a day
const MAX_SAMPLES = 4000;

let thresholds = null;
let today = null;
let lastQueues = [];
let lastCounts = "";
const samples = [];  // [epoch ms, callers waiting] seen by this page since it opened

export function level(bound, value) {
  if (!bound || value === null || value === undefined) return "green";
  const [amber, red, below] = "amber_below" in bound
    ? [bound.amber_below, bound.red_below, true] : [bound.amber_above, bound.red_above, false];
  if (below ? value < red : value > red) return "red";
  if (below ? value < amber : value > amber) return "amber";
  return "green";
}

const CELLS = [
  [".sl", "service_level_pct", "service_level_pct"],
  [".longest", "longest_wait_s", "longest_wait_s"],
  [".abandon", "abandon_rate_pct", "abandon_rate_pct"],
];
const RANK = { green: 0, amber: 1, red: 2 };

function colourQueues(queues) {
  if (!thresholds) return;
  for (const q of queues) {
    const row = document.querySelector(`#queues tr[data-queue="${CSS.escape(q.queue)}"]`);
    if (!row) continue;
    let worst = "green";
    for (const [selector, field, key] of CELLS) {
      const cell = $(selector, row);
      if (!cell) continue;
      cell.classList.remove("level-green", "level-amber", "level-red");
      $(".marker", cell)?.remove();
      if (q[field] === null || q[field] === undefined) {  // no call yet: no colour
        cell.dataset.level = "none";
        continue;
      }
      const lvl = level(thresholds[key], q[field]);
      if (RANK[lvl] > RANK[worst]) worst = lvl;
      cell.classList.add(`level-${lvl}`);
      cell.dataset.level = lvl;
      cell.title = TEXT.levelTitle[lvl];
      if (TEXT.level[lvl]) cell.append(" ", el("span", { class: "marker" }, TEXT.level[lvl]));
    }
    row.dataset.level = worst;
  }
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawChart() {
  const box = $("#today-chart");
  if (!box || !today) return;
  const midnight = Date.parse(today.intervals[0]?.interval_start ?? today.now);
  const slotOf = (ms) => (ms - midnight) / 900000;
  const x = (slot) => PAD.left + (slot / SLOTS) * (W - PAD.left - PAD.right);
  const live = samples.filter(([t]) => t >= midnight);
  const peak = Math.max(1, today.waiting_now, ...today.intervals.map((r) => r.max_waiting), ...live.map(([, n]) => n));
  const yMax = Math.max(4, Math.ceil(peak / 4) * 4);
  const plotH = H - PAD.top - PAD.bottom;
  const yWait = (n) => PAD.top + plotH * (1 - n / yMax);
  const ySl = (p) => PAD.top + plotH * (1 - p / 100);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": TEXT.chartTitle });
  root.append(svg("title", {}, TEXT.chartTitle));
  root.append(svg("rect", { x: PAD.left, y: PAD.top, width: W - PAD.left - PAD.right, height: plotH, class: "plot" }));
  for (let h = 0; h <= 24; h += 3) {
    root.append(svg("line", { x1: x(h * 4), x2: x(h * 4), y1: PAD.top, y2: H - PAD.bottom, class: "grid" }));
    root.append(svg("text", { x: x(h * 4), y: H - 10, "text-anchor": "middle", class: "tick" }, `${String(h).padStart(2, "0")}:00`));
  }
  for (let n = 0; n <= yMax; n += yMax / 4) {
    root.append(svg("text", { x: PAD.left - 6, y: yWait(n) + 4, "text-anchor": "end", class: "tick wait" }, String(n)));
  }
  for (const p of [0, 50, 100]) {
    root.append(svg("text", { x: W - PAD.right + 6, y: ySl(p) + 4, class: "tick sl" }, `${p}%`));
  }
  const target = thresholds?.service_level_pct?.amber_below;
  if (target !== undefined) {
    root.append(svg("line", { x1: x(0), x2: x(SLOTS), y1: ySl(target), y2: ySl(target), class: "target" }));
    root.append(svg("text", { x: x(0) + 4, y: ySl(target) - 4, class: "tick target-label" }, `${TEXT.target} ${target}%`));
  }
  const barW = (W - PAD.left - PAD.right) / SLOTS - 1;
  const points = [];
  for (const r of today.intervals) {
    const slot = slotOf(Date.parse(r.interval_start));
    const start = r.interval_start.slice(11, 16);
    if (r.max_waiting > 0) {
      root.append(svg("rect", { x: x(slot) + 0.5, y: yWait(r.max_waiting), width: barW, height: yWait(0) - yWait(r.max_waiting),
        class: "bar", "data-start": start, "data-value": r.max_waiting }));
    }
    if (r.service_level_pct !== null) {
      const cx = x(slot + 0.5), cy = ySl(r.service_level_pct);
      points.push(`${cx.toFixed(1)},${cy.toFixed(1)}`);
      root.append(svg("circle", { cx, cy, r: 3, class: `sl-point level-${level(thresholds?.service_level_pct, r.service_level_pct)}`,
        "data-start": start, "data-value": r.service_level_pct }));
    }
  }
  if (points.length > 1) root.append(svg("polyline", { points: points.join(" "), class: "sl-line" }));
  if (live.length > 1) {
    root.append(svg("polyline", { class: "live-line",
      points: live.map(([t, n]) => `${x(slotOf(t)).toFixed(1)},${yWait(n).toFixed(1)}`).join(" ") }));
  }
  const nowSlot = slotOf(live.length ? live[live.length - 1][0] : Date.parse(today.now));
  const nowWaiting = live.length ? live[live.length - 1][1] : today.waiting_now;
  root.append(svg("circle", { cx: x(nowSlot), cy: yWait(nowWaiting), r: 5, class: "now", "data-value": nowWaiting }));
  const legend = svg("g", { class: "legend" });
  legend.append(svg("rect", { x: PAD.left, y: 6, width: 10, height: 10, class: "bar" }),
    svg("text", { x: PAD.left + 14, y: 15, class: "tick" }, TEXT.waiting),
    svg("circle", { cx: PAD.left + 260, cy: 11, r: 4, class: "sl-point" }),
    svg("text", { x: PAD.left + 268, y: 15, class: "tick" }, TEXT.serviceLevel),
    svg("circle", { cx: PAD.left + 400, cy: 11, r: 5, class: "now" }),
    svg("text", { x: PAD.left + 408, y: 15, class: "tick" }, `${TEXT.live}: ${nowWaiting}`));
  root.append(legend);
  box.replaceChildren(root);
  box.dataset.intervals = String(today.intervals.length);
  box.dataset.waitingNow = String(nowWaiting);
}

async function loadToday(again = true) {
  try {
    today = await api("GET", "/api/reports/today");
    thresholds = today.thresholds;
    colourQueues(lastQueues);
    drawChart();
  } catch (err) {
    const box = $("#today-chart");
    if (box) box.textContent = `${TEXT.noData}: ${errorText(err)}`;
  }
  if (again) setTimeout(loadToday, CHART_MS);
}

function exportLink() {
  const params = new URLSearchParams({ format: "csv" });
  if ($("#export-from").value) params.set("from", $("#export-from").value);
  if ($("#export-to").value) params.set("to", $("#export-to").value);
  $("#export-csv").href = `/api/reports/intervals?${params}`;
}

function buildPanel() {
  const panel = $("#charts");
  if (!panel) return;
  panel.replaceChildren(
    el("h2", {}, TEXT.chartTitle),
    el("div", { id: "today-chart", class: "chart" }),
    el("p", { class: "export" },
      el("label", { for: "export-from" }, TEXT.from), el("input", { id: "export-from", type: "date", onchange: exportLink }),
      el("label", { for: "export-to" }, TEXT.to), el("input", { id: "export-to", type: "date", onchange: exportLink }),
      el("a", { id: "export-csv", href: "/api/reports/intervals?format=csv", download: "" }, TEXT.exportLabel),
      el("span", { class: "hint" }, ` ${TEXT.exportHint}`)));
}

document.addEventListener("wallboard:queues", (event) => {
  lastQueues = event.detail;
  colourQueues(lastQueues);
  samples.push([Date.now(), lastQueues.reduce((n, q) => n + q.waiting, 0)]);
  if (samples.length > MAX_SAMPLES) samples.shift();
  drawChart();
  // a call entered, was answered or left: the intervals of today changed, fetch them now
  const counts = JSON.stringify(lastQueues.map((q) => [q.entered, q.answered, q.abandoned, q.waiting]));
  if (counts !== lastCounts && lastCounts !== "") loadToday(false);
  lastCounts = counts;
});

buildPanel();
loadToday();
