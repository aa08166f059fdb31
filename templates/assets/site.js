/* kg site: client-side search over titles, aliases, tags, authors and text.
 *
 * The index (data/search.js, the same JSON as search.json) loads on first use, so pages stay
 * light. Results are built with textContent and DOM nodes only, never innerHTML: note text is
 * data, not markup. "/" focuses the search box; arrow keys move through results.
 */
(function () {
  "use strict";

  var root = document.body.getAttribute("data-root") || "";
  var entries = null;
  var loading = false;
  var waiting = [];

  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // A name that holds a bidirectional control (U+202E...) between U+2068 and U+2069, its own
  // stray U+2069 left out and its open isolates closed, so that it cannot reorder the text
  // shown after it (as kg.bidi.isolate does to the names of the pages).
  var BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
  function iso(text) {
    if (!text || !BIDI.test(text)) { return text; }
    var depth = 0, kept = "";
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      if (c === "\u2066" || c === "\u2067" || c === "\u2068") { depth++; }
      else if (c === "\u2069") { if (!depth) { continue; } depth--; }
      kept += c;
    }
    return "\u2068" + kept + "\u2069".repeat(depth + 1);
  }

  function prepare(data) {
    return (data.notes || []).map(function (e) {
      return {
        id: e.id, title: e.t, url: e.u, aliases: e.a || [], tags: e.g || [], tier: e.r,
        date: e.d || "", summary: e.s || "", text: e.x || "", placeholder: !!e.p,
        ft: fold(e.t), fa: (e.a || []).map(fold), fg: (e.g || []).map(fold),
        fw: (e.w || []).map(fold),
        fs: fold(e.s), fx: fold(e.x), fid: e.id
      };
    });
  }

  function withIndex(callback) {
    if (entries) { callback(entries); return; }
    waiting.push(callback);
    if (loading) { return; }
    loading = true;
    var script = document.createElement("script");
    script.src = root + "data/search.js";
    script.addEventListener("load", function () {
      entries = prepare(window.KG_SEARCH_INDEX || { notes: [] });
      waiting.splice(0).forEach(function (fn) { fn(entries); });
    });
    script.addEventListener("error", function () {
      loading = false;
      waiting.splice(0).forEach(function (fn) { fn(null); });
    });
    document.head.appendChild(script);
  }

  function termScore(e, term) {
    var best = 0;
    if (term.length > 1 && term.charAt(0) === "#") {  // a tag as the pages show it: #nlp
      var tag = term.slice(1);
      e.fg.forEach(function (g) {
        if (g === tag) { best = Math.max(best, 6); }
        else if (g.indexOf(tag) === 0) { best = Math.max(best, 3); }
      });
      if (best) { return best; }  // else as written: a title's "#1"
    }
    if (e.ft === term) { best = 30; }
    else if (e.ft.indexOf(term) === 0) { best = 14; }
    else if ((" " + e.ft).indexOf(" " + term) >= 0) { best = 10; }
    else if (e.ft.indexOf(term) >= 0) { best = 7; }
    e.fa.forEach(function (a) {  // another name: as a title, a little under it
      if (a === term) { best = Math.max(best, 25); }
      else if (a.indexOf(term) === 0) { best = Math.max(best, 12); }
      else if ((" " + a).indexOf(" " + term) >= 0) { best = Math.max(best, 9); }
      else if (a.indexOf(term) >= 0) { best = Math.max(best, 6); }
    });
    if (e.fid === term) { best = Math.max(best, 25); }
    e.fg.forEach(function (g) {
      if (g === term) { best = Math.max(best, 6); }
      else if (g.indexOf(term) >= 0) { best = Math.max(best, 3); }
    });
    e.fw.forEach(function (w) {  // an author: a word of the name, as a tag
      if ((" " + w).indexOf(" " + term) >= 0) { best = Math.max(best, 5); }
      else if (w.indexOf(term) >= 0) { best = Math.max(best, 3); }
    });
    if (!best && e.fs.indexOf(term) >= 0) { best = 2; }
    if (!best && e.fx.indexOf(term) >= 0) { best = 1; }
    return best;
  }

  function search(list, query) {
    var q = fold(query).trim();
    var terms = q.split(/\s+/).filter(Boolean);
    if (!terms.length) { return []; }
    var hits = [];
    list.forEach(function (e) {
      var score = 0;
      for (var i = 0; i < terms.length; i++) {
        var s = termScore(e, terms[i]);
        if (!s) { return; }
        score += s;
      }
      if (e.ft === q || e.fa.indexOf(q) >= 0) { score += 50; }
      if (e.placeholder) { score = score / 2; }
      hits.push({ entry: e, score: score });
    });
    hits.sort(function (a, b) {
      return b.score - a.score || (a.entry.title < b.entry.title ? -1 : a.entry.title > b.entry.title ? 1 : 0);
    });
    return hits.map(function (h) { return h.entry; });
  }

  // One slip of the keys between two words: a letter added, left out or changed, or two
  // side by side swapped ("postrainbench", "posttrianbench" for "posttrainbench").
  function oneSlip(a, b) {
    var la = a.length, lb = b.length, i = 0;
    if (Math.abs(la - lb) > 1) { return false; }
    while (i < la && i < lb && a.charAt(i) === b.charAt(i)) { i++; }
    if (la !== lb) { return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1); }
    return i === la || a.slice(i + 1) === b.slice(i + 1) ||
      (a.charAt(i) === b.charAt(i + 1) && a.charAt(i + 1) === b.charAt(i) && a.slice(i + 2) === b.slice(i + 2));
  }

  var WORD_BREAK = /[^0-9a-z\u00c0-\uffff]+/;
  function namesOf(e) {  // the words of its title, its other names and its tags, made once
    if (!e.names) {
      e.names = [e.ft].concat(e.fa, e.fg).join(" ").split(WORD_BREAK).filter(function (w) {
        return w.length >= 4;
      });
    }
    return e.names;
  }

  // What a query with a slip of the keys was meant to find, when nothing matches it as
  // written: the notes whose title, other names or tags hold, for each word of the query of
  // five letters or more, a word one slip from it (each shorter word as written).
  function nearly(list, query) {
    var terms = fold(query).trim().split(/\s+/).filter(Boolean);
    if (!terms.some(function (t) { return t.length >= 5; })) { return []; }
    return list.filter(function (e) {
      return terms.every(function (term) {
        if (term.length < 5) { return termScore(e, term) > 0; }
        return namesOf(e).some(function (w) { return oneSlip(term, w); });
      });
    }).sort(function (a, b) {
      return (a.placeholder - b.placeholder) || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0);
    });
  }

  function snippet(e, query) {
    var terms = fold(query).split(/\s+/).filter(Boolean);
    var source = e.text || e.summary;
    var lower = source.toLowerCase();
    var at = -1;
    for (var i = 0; i < terms.length && at < 0; i++) { at = lower.indexOf(terms[i]); }
    if (at < 0) { return e.summary.slice(0, 180); }
    var start = Math.max(0, at - 60);
    var text = source.slice(start, at + 140);
    return (start > 0 ? "…" : "") + text + (at + 140 < source.length ? "…" : "");
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function render(box, status, hits, query, limit, more, near) {
    box.replaceChildren();
    if (near) { box.appendChild(el("p", "result-near", "No note matches “" + query + "”; spelled nearly so:")); }
    var list = el("ol", "result-list");
    hits.slice(0, limit).forEach(function (e) {
      var li = el("li", "result" + (e.placeholder ? " ghost" : ""));
      var a = el("a", "result-title", iso(e.title));
      a.href = root + e.url;
      li.appendChild(a);
      var meta = el("span", "result-meta");
      var bits = [];
      if (e.placeholder) { bits.push("not written yet"); }
      if (e.tier !== undefined && e.tier !== null) { bits.push("Tier " + e.tier); }
      if (e.date) { bits.push(e.date); }
      if (e.tags.length) { bits.push(e.tags.map(function (t) { return "#" + iso(t); }).join(" ")); }
      meta.textContent = bits.join(" · ");
      li.appendChild(meta);
      var others = e.aliases.filter(function (a) { return fold(a) !== e.ft; });
      if (others.length) { li.appendChild(el("span", "result-aliases", "also: " + others.map(iso).join(", "))); }
      var snip = snippet(e, query);
      if (snip) { li.appendChild(el("p", "result-snippet", snip)); }
      list.appendChild(li);
    });
    box.appendChild(list);
    if (more && hits.length > limit) {
      var all = el("a", "result-more", "All " + hits.length + " results →");
      all.href = root + "search.html?q=" + encodeURIComponent(query);
      box.appendChild(all);
    }
    if (status) {
      status.textContent = near ? "No note matches “" + query + "”; " + hits.length +
        " spelled nearly so" : hits.length ? hits.length + (hits.length === 1 ? " result" : " results")
        : "No note matches “" + query + "”.";
    }
    box.setAttribute("data-count", String(hits.length));
  }

  function links(box) { return Array.prototype.slice.call(box.querySelectorAll("a")); }

  function setup(input) {
    var box = document.getElementById(input.getAttribute("data-results"));
    var status = document.getElementById(input.getAttribute("data-status"));
    var isPage = input.getAttribute("data-page") === "true";
    if (!box) { return; }
    var limit = isPage ? 100 : 8;

    function close() {
      if (isPage) { return; }
      box.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function run() {
      var query = input.value;
      if (!query.trim()) {
        box.replaceChildren();
        box.removeAttribute("data-count");
        close();
        if (status && isPage) { status.textContent = ""; }
        return;
      }
      withIndex(function (list) {
        if (query !== input.value) { return; }
        if (!list) {
          if (status) { status.textContent = "The search index could not be loaded."; }
          return;
        }
        var hits = search(list, query);
        var near = hits.length ? [] : nearly(list, query);
        render(box, status, near.length ? near : hits, query, limit, !isPage, near.length > 0);
        box.hidden = false;
        input.setAttribute("aria-expanded", "true");
        if (!isPage) {  // under the box's right end, or its left one where that runs off
          box.classList.remove("from-left");  // the window (the header wrapped: it is left)
          if (box.getBoundingClientRect().left < 0) { box.classList.add("from-left"); }
        }
        if (isPage) {
          try { history.replaceState(null, "", "?q=" + encodeURIComponent(query)); } catch (err) { /* file:// may refuse */ }
        }
      });
    }

    input.addEventListener("input", run);
    input.addEventListener("focus", function () { withIndex(function () {}); if (input.value.trim()) { run(); } });
    input.addEventListener("keydown", function (event) {
      var found = links(box);
      if (event.key === "ArrowDown" && found.length) {
        event.preventDefault();
        found[0].focus();
      } else if (event.key === "Enter" && found.length) {
        event.preventDefault();
        window.location.href = found[0].href;
      } else if (event.key === "Escape") {
        input.value = "";
        run();
      }
    });
    box.addEventListener("keydown", function (event) {
      var found = links(box);
      var at = found.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && at < found.length - 1) {
        event.preventDefault();
        found[at + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (at > 0) { found[at - 1].focus(); } else { input.focus(); }
      } else if (event.key === "Escape") {
        event.preventDefault();
        input.focus();
        close();
      }
    });
    if (!isPage) {
      var container = input.parentNode;
      container.addEventListener("focusout", function (event) {
        if (!container.contains(event.relatedTarget)) { close(); }
      });
    } else {
      var params = new URLSearchParams(window.location.search);
      if (params.get("q")) {
        input.value = params.get("q");
        run();
      }
    }
  }

  Array.prototype.slice.call(document.querySelectorAll("input[data-results]")).forEach(setup);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) { return; }
    var input = document.getElementById("page-search") || document.getElementById("site-search");
    if (input) {
      event.preventDefault();
      input.focus();
    }
  });

  window.kgSearch = { search: function (query, callback) { withIndex(function (list) { callback(list ? search(list, query) : []); }); } };
}());
