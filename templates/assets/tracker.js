/* kg site: filters and sorting of the question tracker, with no server.
 *
 * Rows carry their facts in data-* attributes; filtering hides rows, sorting re-orders them.
 * The filter state and the column sorted by live in the URL fragment (#status=open&tag=x&
 * sort=-age), so a filtered, sorted view can be linked to and survives a reload or Back.
 */
(function () {
  "use strict";

  var form = document.getElementById("tracker-filters");
  var table = document.getElementById("tracker");
  if (!form || !table) { return; }
  var tbody = table.tBodies[0];
  var count = document.getElementById("tracker-count");
  var none = document.getElementById("tracker-none");
  var fields = ["q", "status", "tier", "tag"];
  var sorted = "";  // the column sorted by ("age"), "-" before it when descending

  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  var rows = Array.prototype.slice.call(tbody.rows).filter(function (r) { return r.hasAttribute("data-status"); });
  var facts = rows.map(function (r) {
    var tags = [];
    try { tags = JSON.parse(r.getAttribute("data-tags") || "[]"); } catch (err) { tags = []; }
    var age = r.getAttribute("data-age");
    var tier = r.getAttribute("data-tier");
    return {
      row: r,
      status: r.getAttribute("data-status"),
      tier: tier,
      tags: tags,
      text: fold(r.textContent),
      question: fold((r.querySelector(".qtext") || r).textContent),
      note: fold(r.getAttribute("data-note")),
      date: r.getAttribute("data-date") || "",
      age: age === "" ? null : Number(age),
      order: Number(r.getAttribute("data-order"))
    };
  });

  function value(name) { return form.elements.namedItem(name).value; }

  function apply() {
    var terms = fold(value("q")).split(/\s+/).filter(Boolean);
    var status = value("status");
    var tier = value("tier");
    var tag = value("tag");
    var shown = 0;
    facts.forEach(function (f) {
      var ok = (!status || f.status === status) &&
        (!tier || f.tier === tier) &&
        (!tag || f.tags.indexOf(tag) >= 0) &&
        terms.every(function (t) { return f.text.indexOf(t) >= 0; });
      f.row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (count) { count.textContent = shown + " of " + facts.length; }
    if (none) { none.hidden = shown > 0 || !facts.length; }
    table.setAttribute("data-shown", String(shown));
    save();
  }

  function save() {
    var parts = [];
    fields.forEach(function (name) {
      var v = value(name);
      if (v) { parts.push(name + "=" + encodeURIComponent(v)); }
    });
    if (sorted) { parts.push("sort=" + sorted); }
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (hash === window.location.hash || (!hash && !window.location.hash)) { return; }
    try {
      history.replaceState(null, "", hash || window.location.pathname + window.location.search);
    } catch (err) { /* some file:// setups refuse; the filter still works */ }
  }

  function load() {
    var hash = (window.location.hash || "").slice(1);
    if (!hash || hash.indexOf("=") < 0) { return; }
    hash.split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      var name = pair.slice(0, at);
      if (name === "sort") {
        var v = decodeURIComponent(pair.slice(at + 1));
        var th = table.querySelector('th[data-sort="' + v.replace(/^-/, "").replace(/[^a-z]/g, "") + '"]');
        if (th) { sortBy(th, v.charAt(0) !== "-"); }
        return;
      }
      if (fields.indexOf(name) < 0) { return; }
      var field = form.elements.namedItem(name);
      var v = decodeURIComponent(pair.slice(at + 1));
      if (field.tagName === "SELECT" && !Array.prototype.some.call(field.options, function (o) { return o.value === v; })) { return; }
      field.value = v;
    });
  }

  var statusOrder = { open: 0, answered: 1, dropped: 2 };
  var keys = {
    status: function (f) { return [statusOrder[f.status], f.order]; },
    text: function (f) { return [f.question]; },
    note: function (f) { return [f.note, f.order]; },
    tier: function (f) { return [f.tier === "none" ? 99 : Number(f.tier), f.order]; },
    date: function (f) { return [f.date || "9999", f.order]; },
    age: function (f) { return [f.age === null ? -1 : f.age, f.order]; }
  };

  function compare(a, b) {
    for (var i = 0; i < a.length; i++) {
      if (a[i] < b[i]) { return -1; }
      if (a[i] > b[i]) { return 1; }
    }
    return 0;
  }

  function sortBy(th, ascending) {
    var key = th.getAttribute("data-sort");
    if (ascending === undefined) { ascending = th.getAttribute("aria-sort") !== "ascending"; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var order = facts.slice().sort(function (a, b) {
      var c = compare(keys[key](a), keys[key](b));
      return ascending ? c : -c;
    });
    order.forEach(function (f) { tbody.appendChild(f.row); });
    sorted = (ascending ? "" : "-") + key;
  }

  Array.prototype.forEach.call(table.querySelectorAll("th[data-sort] button"), function (button) {
    button.addEventListener("click", function () { sortBy(button.parentNode); save(); });
  });
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  load();
  apply();
}());
