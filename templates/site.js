/* textcrm: sorting and filtering of the opportunities table. Without it the table is complete. */
(function () {
  "use strict";
  var table = document.getElementById("opportunities");
  var form = document.getElementById("filters");
  if (!table || !form) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var shown = document.getElementById("shown");
  form.hidden = false;

  function value(row, index, numeric) {
    var cell = row.cells[index];
    var raw = cell.getAttribute("data-value");
    if (raw === null) { raw = cell.textContent.trim(); }
    return numeric ? parseFloat(raw) || 0 : raw.toLowerCase();
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    var kind = th.getAttribute("data-sort");
    if (!kind) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
        other.removeAttribute("aria-sort");
      });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = kind === "num";
      rows.sort(function (a, b) {
        var x = value(a, index, numeric), y = value(b, index, numeric);
        var order = x < y ? -1 : x > y ? 1 : 0;
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });

  function apply() {
    var wanted = {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-filter]"), function (el) {
      wanted[el.getAttribute("data-filter")] = el.value;
    });
    var count = 0;
    rows.forEach(function (row) {
      var close = row.getAttribute("data-close");
      var ok = (!wanted.owner || row.getAttribute("data-owner") === wanted.owner) &&
        (!wanted.stage || row.getAttribute("data-stage") === wanted.stage) &&
        (!wanted.account || row.getAttribute("data-account") === wanted.account) &&
        (!wanted.from || (close && close >= wanted.from)) &&
        (!wanted.to || (close && close <= wanted.to));
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " shown";
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  apply();
}());
