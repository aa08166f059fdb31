/* kg site: the global graph (graph.html) and each note's local graph, drawn with vis-network.
 *
 * Data comes from data/graph.js (window.KG_GRAPH) or from a <script type="application/json">
 * island on the note page; colours come from the page's CSS variables, so light and dark
 * themes both read well. Labels are drawn on a canvas; the info panel uses textContent only.
 * Each drawn container reports its node count in data-node-count, and window.kgGraphs holds
 * the networks, for tests and for the curious.
 */
(function () {
  "use strict";

  var root = document.body.getAttribute("data-root") || "";
  var containers = Array.prototype.slice.call(document.querySelectorAll("[data-graph]"));
  if (!containers.length) { return; }
  if (!window.vis || !window.vis.Network) {
    containers.forEach(function (c) { c.setAttribute("data-error", "vis-network did not load"); });
    return;
  }
  window.kgGraphs = window.kgGraphs || {};

  function css(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function palette() {
    return {
      t1: css("--t1", "#b3261e"), t2: css("--t2", "#b06000"), t3: css("--t3", "#4a6b8a"),
      t0: css("--t0", "#6b7280"), ghost: css("--ghost", "#8a8f96"), fg: css("--fg", "#1d2125"),
      muted: css("--muted", "#5b6570"), bg: css("--bg", "#ffffff"), edge: css("--edge", "#b8bec6"),
      accent: css("--accent", "#2457c5")
    };
  }

  function themed(options, p) {
    var o = JSON.parse(JSON.stringify(options || {}));
    function solid(colour) {
      return { color: { background: colour, border: colour,
        highlight: { background: colour, border: p.fg }, hover: { background: colour, border: p.fg } } };
    }
    o.groups = {
      t1: solid(p.t1), t2: solid(p.t2), t3: solid(p.t3), t0: solid(p.t0),
      ghost: {
        color: { background: p.bg, border: p.ghost,
          highlight: { background: p.bg, border: p.fg }, hover: { background: p.bg, border: p.fg } },
        shapeProperties: { borderDashes: [4, 3] },
        font: { color: p.ghost }
      }
    };
    o.nodes = o.nodes || {};
    o.nodes.font = Object.assign({}, o.nodes.font, { color: p.fg, strokeWidth: 3, strokeColor: p.bg });
    o.edges = o.edges || {};
    o.edges.color = { color: p.edge, highlight: p.accent, hover: p.accent, inherit: false };
    o.edges.font = Object.assign({}, o.edges.font, { color: p.muted, strokeWidth: 3, strokeColor: p.bg });
    return o;
  }

  function pageOf(node) {
    return root + "notes/" + encodeURIComponent(node.id) + ".html";
  }

  function tierName(tier) {
    return tier === null || tier === undefined ? "no tier" : "Tier " + tier;
  }

  function showInfo(panel, node, edge) {
    if (!panel) { return; }
    panel.replaceChildren();
    if (node) {
      var h = document.createElement("p");
      h.className = "info-title";
      var a = document.createElement("a");
      a.href = pageOf(node);
      a.textContent = node.name || node.label;
      h.appendChild(a);
      panel.appendChild(h);
      var meta = document.createElement("p");
      meta.className = "muted";
      var bits = [node.ph ? "not written yet" : tierName(node.tier), (node.deg || 0) + " linked"];
      if (node.tags && node.tags.length) { bits.push(node.tags.map(function (t) { return "#" + t; }).join(" ")); }
      meta.textContent = bits.join(" · ");
      panel.appendChild(meta);
    } else if (edge) {
      var r = document.createElement("p");
      r.className = "info-title";
      r.textContent = edge.fromName + " —" + edge.rel + "→ " + edge.toName;
      panel.appendChild(r);
      if (edge.note) {
        var n = document.createElement("p");
        n.className = "muted";
        n.textContent = edge.note;
        panel.appendChild(n);
      }
    }
  }

  function expand(data) {
    // A note page's local graph comes compact: nodes [id, label, group, size, name?],
    // edges [from index, to index, mention 0/1].
    if (!data.compact) { return data; }
    var ids = data.nodes.map(function (n) { return n[0]; });
    return {
      focus: data.focus,
      options: data.options,
      nodes: data.nodes.map(function (n) {
        var node = { id: n[0], label: n[1], group: n[2], size: n[3] };
        if (n.length > 4) { node.name = n[4]; }
        if (n[2] === "ghost") { node.ph = true; }
        return node;
      }),
      edges: data.edges.map(function (e) {
        return { from: ids[e[0]], to: ids[e[1]], dashes: !!e[2], rel: e[2] ? "mentions" : "" };
      })
    };
  }

  function draw(container, data, kind) {
    data = expand(data);
    var focus = data.focus || null;
    var nodeList = data.nodes.map(function (n) {
      var copy = Object.assign({}, n);
      if (copy.id === focus) {
        copy.borderWidth = 5;
        copy.size = (copy.size || 10) + 6;
        copy.font = { size: 17 };
      }
      return copy;
    });
    var nodes = new vis.DataSet(nodeList);
    var edges = new vis.DataSet(data.edges);
    var visible = null;
    var relations = null;
    var nodeView = new vis.DataView(nodes, {
      filter: function (n) { return !visible || visible(n); }
    });
    var shownIds = null;
    var edgeView = new vis.DataView(edges, {
      filter: function (e) {
        if (relations && !relations[e.rel]) { return false; }
        return !shownIds || (shownIds[e.from] && shownIds[e.to]);
      }
    });
    container.tabIndex = 0;
    var network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, themed(data.options, palette()));
    var panel = document.getElementById(container.id === "global-graph" ? "graph-info" : "");

    function report() {
      container.setAttribute("data-node-count", String(nodeView.length));
      container.setAttribute("data-edge-count", String(edgeView.length));
    }
    report();
    network.once("afterDrawing", function () {
      container.setAttribute("data-drawn", "true");
      report();
    });
    if (data.options && data.options.physics && data.options.physics.enabled) {
      network.once("stabilizationIterationsDone", function () {
        network.setOptions({ physics: { enabled: false } });
        network.fit({ animation: false });
      });
    }

    network.on("click", function (params) {
      if (!params.nodes.length) { return; }
      var node = nodes.get(params.nodes[0]);
      if (node && node.id !== focus) { window.location.href = pageOf(node); }
    });
    network.on("hoverNode", function (params) { showInfo(panel, nodes.get(params.node), null); });
    network.on("hoverEdge", function (params) {
      var e = edges.get(params.edge);
      if (!e) { return; }
      var from = nodes.get(e.from);
      var to = nodes.get(e.to);
      showInfo(panel, null, { rel: e.rel, note: e.note, fromName: from ? from.name || from.label : e.from, toName: to ? to.name || to.label : e.to });
    });

    if (window.matchMedia) {
      var scheme = window.matchMedia("(prefers-color-scheme: dark)");
      var recolour = function () { network.setOptions(themed(data.options, palette())); };
      if (scheme.addEventListener) { scheme.addEventListener("change", recolour); }
    }

    var api = {
      network: network, nodes: nodeView, edges: edgeView, all: nodes,
      filter: function (nodeTest, relationSet) {
        visible = nodeTest;
        relations = relationSet;
        shownIds = null;
        if (nodeTest) {
          shownIds = {};
          nodes.forEach(function (n) { if (nodeTest(n)) { shownIds[n.id] = true; } });
        }
        nodeView.refresh();
        edgeView.refresh();
        report();
        return nodeView.length;
      }
    };
    window.kgGraphs[kind] = api;
    return api;
  }

  function globalFilters(api) {
    var form = document.getElementById("graph-filters");
    var count = document.getElementById("graph-count");
    if (!form) { return; }
    var total = api.all.length;
    function checked(name) {
      var set = {};
      Array.prototype.slice.call(form.querySelectorAll("input[name=" + name + "]")).forEach(function (box) {
        if (box.checked) { set[box.value] = true; }
      });
      return set;
    }
    function apply() {
      var rels = checked("rel");
      var tiers = checked("tier");
      var tag = form.elements.namedItem("tag").value;
      var shown = api.filter(function (n) {
        if (n.ph) { return !!tiers.ghost && !tag; }
        var tier = n.tier === null || n.tier === undefined ? "none" : String(n.tier);
        if (!tiers[tier]) { return false; }
        return !tag || (n.tags || []).indexOf(tag) >= 0;
      }, rels);
      if (count) { count.textContent = shown === total ? total + " nodes" : shown + " of " + total + " nodes"; }
    }
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  }

  function focusFromHash(api) {
    var id = decodeURIComponent((window.location.hash || "").slice(1));
    if (!id || !api.all.get(id)) { return; }
    api.network.selectNodes([id]);
    api.network.focus(id, { scale: 1.0, animation: false });
    showInfo(document.getElementById("graph-info"), api.all.get(id), null);
  }

  containers.forEach(function (container) {
    var kind = container.getAttribute("data-graph");
    var data = null;
    if (kind === "global") {
      data = window.KG_GRAPH;
    } else {
      var island = document.getElementById(container.getAttribute("data-source"));
      if (island) { data = JSON.parse(island.textContent); }
    }
    if (!data) {
      container.setAttribute("data-error", "no graph data");
      return;
    }
    var api = draw(container, data, kind);
    if (kind === "global") {
      globalFilters(api);
      focusFromHash(api);
    }
  });
}());
