// The payout form shows only the fields of the chosen method. Without JavaScript every field
// shows (each says which method it is for), so the form still works. Loaded with <script defer>
// from a file: no inline script or on*= handler, so the CSP needs no exception.
(function () {
  "use strict";

  function sync(form) {
    var chosen = form.querySelector("input[name=method]:checked");
    var method = chosen ? chosen.value : null;
    form.querySelectorAll("[data-payout-method]").forEach(function (group) {
      var hide = method !== null && group.getAttribute("data-payout-method") !== method;
      group.hidden = hide;
      // Hidden inputs are not sent, so a value typed for the other method never travels.
      group.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = hide; });
    });
  }

  function syncAll(root) {
    (root || document).querySelectorAll("form[data-payout-form]").forEach(sync);
  }

  document.addEventListener("change", function (event) {
    if (event.target.name === "method" && event.target.form && event.target.form.hasAttribute("data-payout-form")) {
      sync(event.target.form);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { syncAll(document); });
  // htmx swaps the form back in after an error: apply the choice to the new copy too.
  document.addEventListener("htmx:load", function (event) { syncAll(event.target.parentNode || document); });
})();
