// The search page's bulk selection: "select all on this page" and a count of what is selected.
// (No inline scripts: the CSP allows only files served from /static.)
(function () {
  "use strict";
  var form = document.getElementById("bulk");
  if (!form) return;
  var picks = Array.prototype.slice.call(document.querySelectorAll("input.pick[form=bulk]"));
  var all = form.querySelector("input.pick-all");
  var out = form.querySelector("output.picked");
  function update() {
    var n = picks.filter(function (p) { return p.checked; }).length;
    out.textContent = n ? "(" + n + " selected)" : "(none selected)";
    if (all) { all.checked = n === picks.length && n > 0; all.indeterminate = n > 0 && n < picks.length; }
  }
  picks.forEach(function (p) { p.addEventListener("change", update); });
  if (all) {
    all.closest("label").hidden = false;
    all.addEventListener("change", function () {
      picks.forEach(function (p) { p.checked = all.checked; });
      update();
    });
  }
  form.addEventListener("submit", function (event) {
    if (!picks.some(function (p) { return p.checked; })) {
      event.preventDefault();
      out.textContent = "(select documents in the list first)";
    }
  });
  update();
})();
