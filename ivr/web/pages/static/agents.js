// Admin: list, add/update and remove agents with their skill levels.
import { api, $, el, show, t, tv, whoami } from "./common.js";

function skillsText(skills) {
  return Object.entries(skills).map(([k, v]) => `${k}=${v}`).join(", ");
}

function parseSkills(text) {
  const skills = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, level] = part.split("=").map((p) => p.trim());
    if (!name || !/^\d+$/.test(level || "")) throw new Error(t("agents.bad_skill", { part }));
    skills[name] = Number(level);
  }
  return skills;
}

async function remove(agentId) {
  try {
    await api("DELETE", `/api/admin/agents/${encodeURIComponent(agentId)}`);
    show("#status", t("agents.removed", { agent: agentId }), "ok");
    await load();
  } catch (err) {
    show("#status", err, "error");
  }
}

function edit(agent) {
  $("#agent-id").value = agent.agent_id;
  $("#agent-name").value = agent.name;
  $("#agent-endpoint").value = agent.endpoint;
  $("#agent-skills").value = skillsText(agent.skills);
}

async function load() {
  const data = await api("GET", "/api/admin/agents");
  $("#agents tbody").replaceChildren(...data.agents.map((a) => el("tr", { "data-agent": a.agent_id },
    el("td", {}, a.agent_id), el("td", {}, a.name), el("td", {}, a.endpoint),
    el("td", { class: "skills" }, skillsText(a.skills)), el("td", { "data-state": a.state }, tv("state", a.state)),
    el("td", {}, el("button", { type: "button", onclick: () => edit(a) }, t("agents.edit")), " ",
      el("button", { type: "button", class: "remove", onclick: () => remove(a.agent_id) }, t("agents.remove"))))));
}

$("#agent-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const body = {
      id: $("#agent-id").value.trim(), name: $("#agent-name").value.trim(),
      endpoint: $("#agent-endpoint").value.trim(), skills: parseSkills($("#agent-skills").value),
    };
    await api("POST", "/api/admin/agents", body);
    show("#status", t("agents.saved", { agent: body.id }), "ok");
    await load();
  } catch (err) {
    show("#status", err, "error");
  }
});

whoami().then(load).catch((err) => show("#status", err, "error"));
