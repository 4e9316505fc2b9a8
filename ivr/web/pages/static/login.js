// Login: paste an API token; POST /api/session sets the HttpOnly session cookie.
import { api, $, show } from "./common.js";

function target() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = $("#token").value.trim();
  if (!token) return show("#status", "Paste your API token", "error");
  try {
    await api("POST", "/api/session", { token });
    $("#token").value = "";
    location.assign(target());
  } catch (err) {
    show("#status", err.message, "error");
  }
});
