// Orbit's behaviour: hash routes, sign-in, projects and settings, kept in sessionStorage so
// a reload (a guide's `goto`) finds the same state. Nothing random, no clock: the same
// steps always draw the same pages.
"use strict";

const state = JSON.parse(sessionStorage.getItem("orbit") || "null") || {
  user: null,
  projects: [
    {name: "website", region: "eu-west", private: false},
    {name: "mobile-app", region: "us-east", private: true},
  ],
  token: "",
  notify: false,
};
const REGIONS = {"eu-west": "Europe (Paris)", "us-east": "US East (Virginia)",
                 "ap-south": "Asia Pacific (Mumbai)"};
const $ = (selector) => document.querySelector(selector);

function save() {
  sessionStorage.setItem("orbit", JSON.stringify(state));
}

function show() {
  let route = location.hash.replace(/^#\/?/, "") || "projects";
  if (!state.user) route = "signin";
  for (const view of document.querySelectorAll(".view")) {
    view.hidden = view.id !== `view-${route}`;
  }
  for (const link of document.querySelectorAll(".nav a")) {
    link.classList.toggle("current", link.getAttribute("href") === `#/${route}`);
  }
  $(".nav").hidden = !state.user;
  $("#user").hidden = !state.user;
  $("#user").textContent = state.user || "";
  if (route === "projects") drawProjects();
  if (route === "settings") {
    $("#token").value = state.token;
    $("#notify").checked = state.notify;
  }
}

function drawProjects() {
  const rows = $("#project-rows");
  rows.replaceChildren();
  for (const project of state.projects) {
    const row = document.createElement("tr");
    row.className = "project-row";
    for (const [text, cls] of [[project.name, "project-name"], [REGIONS[project.region], ""],
                               [project.private ? "Private" : "Public", ""]]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      if (cls) cell.className = cls;
      row.append(cell);
    }
    rows.append(row);
  }
}

$("#signin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.user = $("#email").value;
  save();
  location.hash = "#/projects";
  show();
});

$("#new-project").addEventListener("click", () => {
  $("#new-project-form").reset();
  $("#new-project-dialog").showModal();
});
$("#cancel").addEventListener("click", () => $("#new-project-dialog").close());
$("#new-project-form").addEventListener("submit", () => {
  state.projects.push({name: $("#project-name").value, region: $("#region").value,
                       private: $("#private").checked});
  save();
  drawProjects();
});

$("#token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.token = $("#token").value;
  state.notify = $("#notify").checked;
  save();
  $("#token-status").hidden = false;
});

window.addEventListener("hashchange", show);
show();
