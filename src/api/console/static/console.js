// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";
  // An error summary takes the focus, so screen readers announce it first.
  var summary = document.querySelector(".govuk-error-summary");
  if (summary) { summary.focus(); }
  // "Select all on this page": a box ticking every row's box of the results table.
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    var boxes = document.querySelectorAll("input[name='" + all.getAttribute("data-select-all") + "']");
    all.hidden = false;
    all.closest("[hidden]") && all.closest("[hidden]").removeAttribute("hidden");
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
  });
})();
