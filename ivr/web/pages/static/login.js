// Login: paste an API token; POST /api/session sets the HttpOnly session cookie.
import { api, $, show, t } from "./common.js";

// Where to go after login: a path of this site only. "/\evil", "/%09/evil" (a tab), "//evil",
// "https:..." and anything else that could leave the origin land on "/".
function target() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  if (!/^\/(?![\/\\])/.test(next) || /[\u0000-\u0020\u007f\\]/.test(next)) return "/";
  let url;
  try {
    url = new URL(next, location.origin);
  } catch {
    return "/";
  }
  return url.origin === location.origin ? url.pathname + url.search + url.hash : "/";
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = $("#token").value.trim();
  if (!token) return show("#status", t("login.empty"), "error");
  try {
    await api("POST", "/api/session", { token });
    $("#token").value = "";
    location.assign(target());
  } catch (err) {
    show("#status", err, "error");
  }
});
