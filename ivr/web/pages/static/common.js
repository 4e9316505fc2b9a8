// Shared helpers of the staff pages: JSON API calls with the session cookie, small DOM helpers.
// Rules: no secret is ever put in a URL or in localStorage; a 401 sends the user to /login.

export class ApiFailure extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text }; }
  if (response.status === 401 && !path.startsWith("/api/session")) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
  }
  if (!response.ok) throw new ApiFailure(response.status, data);
  return data;
}

export function $(selector, root = document) { return root.querySelector(selector); }

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function show(selector, message, kind = "info") {
  const box = $(selector);
  box.textContent = message;
  box.className = `status ${kind}`;
}

export function seconds(value) {
  if (value === null || value === undefined) return "–";
  const s = Math.round(value);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

function addQueuesLink() {
  const agents = document.querySelector('header a[href="/admin/agents"]');
  if (!agents || document.querySelector('header a[href="/admin/queues"]')) return;
  agents.after(" ", el("a", { href: "/admin/queues" }, "Queues"));
}

export async function whoami() {
  const data = await api("GET", "/api/session");
  const user = data.user;
  addQueuesLink();
  const who = $("#who");
  if (who) who.textContent = `${user.name} (${user.roles.join(", ")})`;
  const logout = $("#logout");
  if (logout) logout.addEventListener("click", async () => {
    await api("DELETE", "/api/session");
    location.assign("/login");
  });
  return user;
}
