/* Small behaviours of every page, bound by data attributes: the Content-Security-Policy allows no
   inline script or event handler (onchange=, onclick=), so the templates mark elements instead.

   <select data-submit-on-change>   submits its form when a choice is made (a filter)
   <button data-print>              opens the browser's print dialog */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-submit-on-change]");
    if (field && field.form) { field.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
})();
