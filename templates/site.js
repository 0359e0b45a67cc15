/* textcrm: sorting and filtering of the opportunities table, and the offline search. Without
   it every page is complete; the search box shows only when this script runs. */
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

  // The open pipeline of the rows shown, per currency, and converted to the reporting
  // currency when every other one has a rate: in whole cents, as the build computes it.
  var reporting = table.getAttribute("data-currency");
  var locale = table.getAttribute("data-locale") || undefined;
  var rates = JSON.parse(table.getAttribute("data-rates") || "{}");
  function money(cents, currency) {
    try {
      return new Intl.NumberFormat(locale, {style: "currency", currency: currency})
        .format(cents / 100);
    } catch (e) {
      return (cents / 100).toFixed(2) + " " + currency;
    }
  }
  function openTotal(shownRows) {
    var sums = {};
    shownRows.forEach(function (row) {
      var amount = row.getAttribute("data-amount");
      if (amount === null) { return; }
      var currency = row.getAttribute("data-amount-currency");
      sums[currency] = (sums[currency] || 0) + Math.round(parseFloat(amount) * 100);
    });
    var codes = Object.keys(sums).sort(function (a, b) {
      return (a !== reporting) - (b !== reporting) || (a < b ? -1 : a > b ? 1 : 0);
    });
    if (!codes.length) { return money(0, reporting); }
    var text = codes.map(function (c) { return money(sums[c], c); }).join(" + ");
    if (codes.length > 1 && codes.every(function (c) { return c === reporting || rates[c]; })) {
      var converted = codes.reduce(function (total, c) {
        return total + (c === reporting ? sums[c] : Math.round(sums[c] * parseFloat(rates[c])));
      }, 0);
      text += " (\u2248 " + money(converted, reporting) + ")";
    }
    return text;
  }

  function apply() {
    var wanted = {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-filter]"), function (el) {
      wanted[el.getAttribute("data-filter")] = el.value;
    });
    var count = 0;
    var shownRows = [];
    rows.forEach(function (row) {
      var close = row.getAttribute("data-close");
      var ok = (!wanted.owner || row.getAttribute("data-owner") === wanted.owner) &&
        (!wanted.stage || row.getAttribute("data-stage") === wanted.stage) &&
        (!wanted.account || row.getAttribute("data-account") === wanted.account) &&
        (!wanted.from || (close && close >= wanted.from)) &&
        (!wanted.to || (close && close <= wanted.to));
      row.hidden = !ok;
      if (ok) { count += 1; shownRows.push(row); }
    });
    shown.textContent = count + " of " + rows.length + " shown; open pipeline " +
      openTotal(shownRows);
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  apply();
}());

/* The offline search: every record's title, name and notes, from assets/search-index.js (a
   script, not a fetch: it works from file:// too), loaded the first time the box is used.
   Results are built with textContent only: the index's text is never read as HTML. */
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form) { return; }
  var input = form.querySelector("input");
  var list = form.querySelector(".search-results");
  var count = form.querySelector(".search-count");
  var root = form.getAttribute("data-root") || "";
  var entries = null;
  var loading = false;
  form.hidden = false;

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function prepare() {
    entries = (window.TEXTCRM_SEARCH || []).map(function (e) {
      return { entry: e, text: fold(e.t + " " + e.s) };
    });
  }
  function load(then) {
    if (window.TEXTCRM_SEARCH) { if (!entries) { prepare(); } then(); return; }
    if (loading) { return; }
    loading = true;
    var script = document.createElement("script");
    script.src = form.getAttribute("data-index");
    script.onload = function () { prepare(); then(); };
    document.head.appendChild(script);
  }
  function show() {
    var words = fold(input.value).split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (!words.length) { count.textContent = ""; return; }
    if (!entries) { load(show); return; }
    var found = entries.filter(function (x) {
      return words.every(function (w) { return x.text.indexOf(w) >= 0; });
    });
    count.textContent = found.length + (found.length === 1 ? " match" : " matches") +
      (found.length > 20 ? ", the first 20 shown" : "");
    found.slice(0, 20).forEach(function (x) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = root + x.entry.h;
      link.textContent = x.entry.t;
      item.appendChild(link);
      var kind = document.createElement("span");
      kind.className = "search-kind";
      kind.textContent = x.entry.k + (x.entry.d ? " · " + x.entry.d : "");
      item.appendChild(kind);
      list.appendChild(item);
    });
  }
  input.addEventListener("input", show);
  input.addEventListener("focus", function () { load(function () {}); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = list.querySelector("a");
    if (first) { window.location.href = first.href; }
  });
}());
