// django-rq's job lists (templates/django_rq/_actions_head.html says why this file exists): give
// Django's admin actions.js the "n of m selected" counter it updates, which django-rq's pages do
// not render. Registered before actions.js, so this DOMContentLoaded listener runs first.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const boxes = document.querySelectorAll("tr input.action-select");
  const actions = document.querySelector("#changelist-form div.actions");
  if (!boxes.length || !actions || actions.querySelector("span.action-counter")) {
    return;
  }
  const counter = document.createElement("span");
  counter.className = "action-counter";
  counter.dataset.actionsIcnt = String(boxes.length);
  counter.setAttribute("aria-live", "polite");
  counter.textContent = "0 of " + boxes.length + " selected";
  actions.appendChild(counter);
});
