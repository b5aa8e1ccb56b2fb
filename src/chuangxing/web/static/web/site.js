/* Small behaviours of every page, bound by data attributes: the Content-Security-Policy allows no
   inline script or event handler (onchange=, onclick=), so the templates mark elements instead.

   <select data-submit-on-change>   submits its form when a choice is made (a filter)
   <button data-print>              opens the browser's print dialog
   <button data-menu-toggle>        on a narrow screen, opens and closes the header's menu (its aria-controls)

   The header's menu folds only where this script runs (the "js" class on <html>): without it the links stay
   shown, wrapped under the name. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-submit-on-change]");
    if (field && field.form) { field.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
    var toggle = event.target.closest("[data-menu-toggle]");
    if (toggle) {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      document.getElementById(toggle.getAttribute("aria-controls")).classList.toggle("open", open);
    }
  });
  document.addEventListener("keydown", function (event) {   // Escape closes an open menu, back on its button
    var toggle = document.querySelector('[data-menu-toggle][aria-expanded="true"]');
    if (event.key === "Escape" && toggle) { toggle.click(); toggle.focus(); }
  });
})();
