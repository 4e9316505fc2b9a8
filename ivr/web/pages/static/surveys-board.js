// Wallboard tile: today's satisfaction surveys (GET /api/reports/surveys, today by day): answered
// count, mean score (1-5) and response rate, every 10 s. docs/surveys.md.
import { api, $ } from "./common.js";

const POLL_MS = 10000;

async function refresh() {
  const total = (await api("GET", "/api/reports/surveys")).total;
  $("#surveys-today .count").textContent = total.count;
  $("#surveys-today .mean").textContent = total.mean_score === null ? "–" : total.mean_score.toFixed(2);
  $("#surveys-today .rate").textContent =
    total.response_rate === null ? "–" : `${Math.round(total.response_rate * 100)} %`;
}

async function loop() {
  try { await refresh(); } catch { /* the wallboard's own status line reports failures */ }
  setTimeout(loop, POLL_MS);
}

loop();
