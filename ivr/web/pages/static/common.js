// Shared helpers of the staff pages: JSON API calls with the session cookie, small DOM helpers,
// and the page language (zh-CN or en).
// Rules: no secret is ever put in a URL or in localStorage; a 401 sends the user to /login.
// Language: the server writes <html lang> (the `ivr_lang` cookie set by the switch, else the
// browser's Accept-Language); every text a person reads comes from the catalogue of that
// language (i18n/<lang>.json) by key: t(KEY, {param}) in JS, data-i18n=KEY (text) and
// data-i18n-placeholder|title|aria-label=KEY (attributes) in HTML; codes the server sends
// (states, reasons, kinds) through tv(GROUP, code) (catalogue key `GROUP.code`, else the code).
// tests/unit/web/test_page_catalogues.py reads these uses: keep keys literal strings.
// API errors show the text of their stable `error` code (`error.<code>`), else the server's message.

export const LANGUAGES = ["zh-CN", "en"];
export const LANG_COOKIE = "ivr_lang";
export const lang = LANGUAGES.includes(document.documentElement.lang) ? document.documentElement.lang : "en";

async function loadCatalogue(code) {
  try {
    const response = await fetch(`/pages/static/i18n/${code}.json`, { credentials: "same-origin" });
    return response.ok ? await response.json() : {};
  } catch {
    return {};
  }
}

const catalogue = await loadCatalogue(lang);

export function t(key, params = {}) {
  const text = Object.hasOwn(catalogue, key) ? catalogue[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

export function tv(group, value) {
  if (value === null || value === undefined || value === "") return "–";
  const key = `${group}.${value}`;
  return Object.hasOwn(catalogue, key) ? catalogue[key] : String(value);
}

const ATTRIBUTES = ["placeholder", "title", "aria-label"];

export function translate(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const name of ATTRIBUTES) {
    for (const node of root.querySelectorAll(`[data-i18n-${name}]`)) {
      node.setAttribute(name, t(node.getAttribute(`data-i18n-${name}`)));
    }
  }
}

export function setLanguage(code) {
  document.cookie = `${LANG_COOKIE}=${encodeURIComponent(code)}; path=/; max-age=31536000; SameSite=Lax`;
  location.reload();
}

function languageSwitch() {
  const select = el("select", { id: "lang", "aria-label": t("common.language") },
    ...LANGUAGES.map((code) => el("option", { value: code, selected: code === lang }, tv("lang", code))));
  select.addEventListener("change", () => setLanguage(select.value));
  return select;
}

function addLanguageSwitch() {
  if (document.getElementById("lang")) return;
  const header = document.querySelector("header");
  if (header) header.append(languageSwitch());
  else document.body.prepend(el("div", { class: "lang-bar" }, languageSwitch()));
}

export class ApiFailure extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.code = this.body.error || null;
  }
}

// The text a person reads for a failed call: the catalogue's text of the error code when known.
export function errorText(err) {
  const code = err && err.code;
  const key = `error.${code}`;
  if (code && Object.hasOwn(catalogue, key)) return t(key, (err.body && err.body.details) || {});
  return (err && err.message) || String(err);
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

// `message`: text already translated (t(...)) or an error (shown by its code's text, the
// server's own message kept in the title).
export function show(selector, message, kind = "info") {
  const box = $(selector);
  const failure = message instanceof Error;
  box.textContent = failure ? errorText(message) : message;
  box.title = failure ? message.message : "";
  box.className = `status ${kind}`;
}

export function seconds(value) {
  if (value === null || value === undefined) return "–";
  const s = Math.round(value);
  return s < 60 ? t("time.s", { s }) : t("time.ms", { m: Math.floor(s / 60), s: String(s % 60).padStart(2, "0") });
}

function addQueuesLink() {
  const agents = document.querySelector('header a[href="/admin/agents"]');
  if (!agents || document.querySelector('header a[href="/admin/queues"]')) return;
  agents.after(" ", el("a", { href: "/admin/queues", "data-i18n": "nav.queues" }, t("nav.queues")));
}

export async function whoami() {
  const data = await api("GET", "/api/session");
  const user = data.user;
  addQueuesLink();
  const who = $("#who");
  if (who) who.textContent = `${user.name} (${user.roles.map((r) => tv("role", r)).join(", ")})`;
  const logout = $("#logout");
  if (logout) logout.addEventListener("click", async () => {
    await api("DELETE", "/api/session");
    location.assign("/login");
  });
  return user;
}

translate();
addLanguageSwitch();
document.documentElement.dataset.i18nReady = "true";
