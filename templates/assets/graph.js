/* kg site: the global graph (graph.html) and each note's local graph, drawn with vis-network.
 *
 * Data comes from data/graph.js (window.KG_GRAPH) or from a <script type="application/json">
 * island on the note page; colours come from the page's CSS variables, so light and dark
 * themes both read well. Labels are drawn on a canvas; the info panel uses textContent only.
 * Each drawn container reports its node and edge counts in data-node-count and data-edge-count,
 * data-drawn="true" and data-draw-ms (milliseconds since the page started loading) once the
 * first frame is drawn, and window.kgGraphs holds the networks, for tests and for the curious.
 * A large global graph draws its own edges, with a level of detail (lodLayer below), and its own
 * labels, those that fit (labelLayer below).
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

  // A tier's colour group is "t" and its number (1 to 9, as a note's tier may be), "t0" no tier.
  var TIER_COLOURS = { t1: "#b3261e", t2: "#b06000", t3: "#4a6b8a", t4: "#2e7d32", t5: "#7b3fa0",
    t6: "#00796b", t7: "#ad1457", t8: "#795548", t9: "#6d6410", t0: "#6b7280" };

  function palette() {
    var p = {
      ghost: css("--ghost", "#8a8f96"), fg: css("--fg", "#1d2125"),
      muted: css("--muted", "#5b6570"), bg: css("--bg", "#ffffff"), edge: css("--edge", "#b8bec6"),
      accent: css("--accent", "#2457c5")
    };
    Object.keys(TIER_COLOURS).forEach(function (g) { p[g] = css("--" + g, TIER_COLOURS[g]); });
    return p;
  }

  function themed(options, p) {
    var o = JSON.parse(JSON.stringify(options || {}));
    function solid(colour) {
      return { color: { background: colour, border: colour,
        highlight: { background: colour, border: p.fg }, hover: { background: colour, border: p.fg } } };
    }
    o.groups = {
      ghost: {
        color: { background: p.bg, border: p.ghost,
          highlight: { background: p.bg, border: p.fg }, hover: { background: p.bg, border: p.fg } },
        shapeProperties: { borderDashes: [4, 3] },
        font: { color: p.ghost }
      }
    };
    Object.keys(TIER_COLOURS).forEach(function (g) { o.groups[g] = solid(p[g]); });
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

  function nameOf(node) {
    return node.name || node.label || node.text || node.id;
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
      a.textContent = nameOf(node);
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

  // -- the level of detail of a large graph -------------------------------------------
  //
  // vis-network makes an object per edge and strokes each one on every frame: 71,000 edges
  // took 7 s a frame. Past a size (data.lod, set at build time) the page gives vis-network
  // the nodes only, without their labels (measuring 10,000 labels took a second before the
  // first frame), and draws edges and labels itself: edges under the nodes ("beforeDrawing"),
  // only those in view, at most LOD.budget a frame (LOD.moving while the view pans or zooms),
  // most important first (the build orders them: typed connections between well-linked notes
  // first, mentions last), batched into a few strokes; arrow heads and relation labels once
  // zoomed in far enough that they are few and readable. The node labels are labelLayer's.
  // The edges of the hovered or selected node, and the hovered edge, are always drawn, in the
  // accent colour. All text goes to the canvas as text.

  var LOD = { budget: 4000, moving: 1200, arrows: 0.45, arrowBudget: 1500, labels: 0.75,
    labelBudget: 250, pick: 6, chunk: 800, settle: 250 };

  function lodLayer(container, network, nodeList, edgeList, colours) {
    var index = {};
    var ids = [];
    var radius = [];
    nodeList.forEach(function (n, i) {
      index[n.id] = i;
      ids.push(n.id);
      radius.push(n.size || 10);
    });
    var count = edgeList.length;
    var from = new Int32Array(count);
    var to = new Int32Array(count);
    var rel = new Int32Array(count);
    var mention = new Uint8Array(count);
    var relNames = [];
    var relIndex = {};
    var degree = new Int32Array(ids.length + 1);  // of node i at i + 1
    for (var k = 0; k < count; k++) {
      var e = edgeList[k];
      from[k] = index[e.from];
      to[k] = index[e.to];
      if (!(e.rel in relIndex)) { relIndex[e.rel] = relNames.length; relNames.push(e.rel); }
      rel[k] = relIndex[e.rel];
      mention[k] = e.dashes ? 1 : 0;
      degree[from[k] + 1] += 1;
      degree[to[k] + 1] += 1;
    }
    // incident edges of each node (CSR): start[i] .. start[i + 1] in incident
    var start = new Int32Array(ids.length + 1);
    for (var i = 0; i < ids.length; i++) { start[i + 1] = start[i] + degree[i + 1]; }
    var fill = start.slice(0, ids.length);
    var incident = new Int32Array(2 * count);
    for (k = 0; k < count; k++) {
      incident[fill[from[k]]++] = k;
      incident[fill[to[k]]++] = k;
    }

    var relOk = null;
    var objects = new Array(ids.length);
    var drawn = new Int32Array(Math.max(LOD.budget, LOD.moving));
    var state = { drawn: 0, inView: 0, moving: false, hoverNode: -1, hoverEdge: -1 };
    var settle = null;

    function nodesNow() {
      // vis-network's node objects carry the current positions (a node may be dragged); a
      // node filtered out has none. Read once a frame.
      var body = network.body && network.body.nodes;
      for (var i = 0; i < ids.length; i++) {
        var node = body ? body[ids[i]] : null;
        objects[i] = node && !node.options.hidden ? node : null;
      }
    }

    function usable(k) {
      return (!relOk || relOk[rel[k]]) && objects[from[k]] && objects[to[k]];
    }

    function segments(ctx, list, n, dashed) {
      for (var s = 0; s < n; s += LOD.chunk) {
        var end = Math.min(n, s + LOD.chunk);
        ctx.beginPath();
        for (var j = s; j < end; j++) {
          var k = list[j];
          if (mention[k] !== dashed) { continue; }
          var a = objects[from[k]];
          var b = objects[to[k]];
          ctx.moveTo(a.x, a.y);
          ctx.lineTo(b.x, b.y);
        }
        ctx.stroke();
      }
    }

    function arrows(ctx, list, n, scale) {
      var length = 7.5;
      var half = 3.2;
      ctx.beginPath();
      for (var j = 0; j < n; j++) {
        var k = list[j];
        var a = objects[from[k]];
        var b = objects[to[k]];
        var dx = b.x - a.x;
        var dy = b.y - a.y;
        var d = Math.sqrt(dx * dx + dy * dy);
        var r = radius[to[k]] + 1 / scale;
        if (d <= r + length) { continue; }
        var ux = dx / d;
        var uy = dy / d;
        var tx = b.x - ux * r;
        var ty = b.y - uy * r;
        var bx = tx - ux * length;
        var by = ty - uy * length;
        ctx.moveTo(tx, ty);
        ctx.lineTo(bx - uy * half, by + ux * half);
        ctx.lineTo(bx + uy * half, by - ux * half);
        ctx.closePath();
      }
      ctx.fill();
    }

    function labels(ctx, list, n) {
      var c = colours();
      ctx.font = "10px arial";  // vis-network's edge labels
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.lineWidth = 3;
      ctx.strokeStyle = c.bg;
      ctx.fillStyle = c.muted;
      ctx.setLineDash([]);
      for (var j = 0; j < n; j++) {
        var k = list[j];
        if (mention[k]) { continue; }
        var a = objects[from[k]];
        var b = objects[to[k]];
        var x = (a.x + b.x) / 2;
        var y = (a.y + b.y) / 2;
        ctx.strokeText(relNames[rel[k]], x, y);
        ctx.fillText(relNames[rel[k]], x, y);
      }
    }

    function highlighted() {
      var list = [];
      var seen = {};
      function add(k) { if (!seen[k] && usable(k)) { seen[k] = true; list.push(k); } }
      var focus = network.getSelectedNodes().map(function (id) { return index[id]; });
      if (state.hoverNode >= 0) { focus.push(state.hoverNode); }
      focus.forEach(function (i) {
        if (i === undefined) { return; }
        for (var j = start[i]; j < start[i + 1]; j++) { add(incident[j]); }
      });
      if (state.hoverEdge >= 0) { add(state.hoverEdge); }
      return list;
    }

    function draw(ctx) {
      nodesNow();
      var scale = network.getScale();
      var topLeft = network.DOMtoCanvas({ x: 0, y: 0 });
      var bottomRight = network.DOMtoCanvas({ x: container.clientWidth, y: container.clientHeight });
      var left = topLeft.x;
      var top = topLeft.y;
      var right = bottomRight.x;
      var bottom = bottomRight.y;
      var budget = state.moving ? LOD.moving : LOD.budget;
      var n = 0;
      var inView = 0;
      for (var k = 0; k < count; k++) {
        if (!usable(k)) { continue; }
        var a = objects[from[k]];
        var b = objects[to[k]];
        if ((a.x < left && b.x < left) || (a.x > right && b.x > right) ||
            (a.y < top && b.y < top) || (a.y > bottom && b.y > bottom)) { continue; }
        inView++;
        if (n < budget) { drawn[n++] = k; }
      }
      state.drawn = n;
      state.inView = inView;
      var c = colours();
      ctx.save();
      ctx.lineWidth = 1 / scale;
      ctx.strokeStyle = c.edge;
      ctx.fillStyle = c.edge;
      segments(ctx, drawn, n, 0);
      ctx.setLineDash([4 / scale, 3 / scale]);
      segments(ctx, drawn, n, 1);
      ctx.setLineDash([]);
      var arrowed = scale >= LOD.arrows && n <= LOD.arrowBudget;
      if (arrowed) { arrows(ctx, drawn, n, scale); }
      var marked = highlighted();
      if (marked.length) {
        ctx.lineWidth = 2 / scale;
        ctx.strokeStyle = c.accent;
        ctx.fillStyle = c.accent;
        segments(ctx, marked, marked.length, 0);
        ctx.setLineDash([4 / scale, 3 / scale]);
        segments(ctx, marked, marked.length, 1);
        ctx.setLineDash([]);
        if (scale >= LOD.arrows) { arrows(ctx, marked, marked.length, scale); }
      }
      if (scale >= LOD.labels && n <= LOD.labelBudget) { labels(ctx, drawn, n); }
      ctx.restore();
      container.setAttribute("data-edges-drawn", String(n));
      container.setAttribute("data-edges-in-view", String(inView));
      var note = document.getElementById("graph-lod");
      if (note) {
        note.hidden = n >= inView;
        note.textContent = n >= inView ? "" : n.toLocaleString("en") + " of the " +
          inView.toLocaleString("en") + " links in view are drawn, the most connected first; zoom in for the rest.";
      }
    }

    function edgeAt(dom) {
      var p = network.DOMtoCanvas(dom);
      var scale = network.getScale();
      var best = -1;
      var bestD = (LOD.pick / scale) * (LOD.pick / scale);
      var list = drawn.subarray(0, state.drawn);
      var marked = highlighted();
      function test(k) {
        var a = objects[from[k]];
        var b = objects[to[k]];
        if (!a || !b) { return; }
        var dx = b.x - a.x;
        var dy = b.y - a.y;
        var len = dx * dx + dy * dy;
        var t = len ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len : 0;
        t = Math.max(0, Math.min(1, t));
        var ex = a.x + t * dx - p.x;
        var ey = a.y + t * dy - p.y;
        var d = ex * ex + ey * ey;
        if (d < bestD) { bestD = d; best = k; }
      }
      for (var j = 0; j < list.length; j++) { test(list[j]); }
      marked.forEach(test);
      return best;
    }

    function later() {
      // one redraw at the next frame, shared with any vis-network asks for
      if (network.body && network.body.emitter) {
        network.body.emitter.emit("_requestRedraw");
      } else {
        window.requestAnimationFrame(function () { network.redraw(); });
      }
    }

    network.on("beforeDrawing", draw);
    network.on("dragStart", function () { state.moving = true; });
    network.on("dragEnd", function () { state.moving = false; later(); });
    network.on("zoom", function () {
      state.moving = true;
      window.clearTimeout(settle);
      settle = window.setTimeout(function () { state.moving = false; later(); }, LOD.settle);
    });
    // vis-network redraws when the hovered node changes; its edges are drawn in that frame
    network.on("hoverNode", function (params) { state.hoverNode = index[params.node]; });
    network.on("blurNode", function () { state.hoverNode = -1; });

    var self = {
      edgeAt: edgeAt,
      edge: function (k) { return edgeList[k]; },
      hover: function (k) {
        if (k === state.hoverEdge) { return false; }
        state.hoverEdge = k;
        later();
        return true;
      },
      moving: function () { return state.moving; },
      filter: function (relationSet, isShown) {
        // relationSet: {name: true} of the relations drawn (null: all); isShown(id) of a node
        relOk = null;
        if (relationSet) {
          relOk = new Uint8Array(relNames.length);
          relNames.forEach(function (name, r) { relOk[r] = relationSet[name] ? 1 : 0; });
        }
        var visible = new Uint8Array(ids.length);
        ids.forEach(function (id, i) { visible[i] = !isShown || isShown(id) ? 1 : 0; });
        var total = 0;
        for (var k = 0; k < count; k++) {
          if ((!relOk || relOk[rel[k]]) && visible[from[k]] && visible[to[k]]) { total++; }
        }
        self.length = total;
        later();
        return total;
      },
      length: count
    };
    return self;
  }

  // -- the labels of a large graph: those that fit --------------------------------------
  //
  // Each drawn under its node, the labels of thousands of notes ran into each other once
  // zoomed in (a smear), and zoomed out were too small to draw; vis-network, drawing them,
  // took a second to measure them before the first frame. The page draws them itself
  // ("afterDrawing"), as a map draws place names: at a size that reads whatever the zoom
  // (LABELS.smallest to LABELS.largest px on the screen), and only those that fit, the best
  // linked notes first (then by tier): a label whose box would overlap one already placed,
  // or be cut by the edge of the view, is left out. Which labels fit is worked out over the
  // nodes in view once the view rests (LABELS.settle ms after its last change, whatever
  // made it: the wheel, a drag, the keys, a focus from the address; or after a node is
  // dragged); while it moves, the last ones placed are drawn, less any that would now
  // overlap, so no frame shows two labels over each other. The hovered and selected nodes'
  // labels are always drawn, the others making room for them. A box is the text's width as
  // the canvas measures it (once a label) and LABELS.line of its height, LABELS.gap px wider
  // each way. All text goes to the canvas as text.

  var LABELS = { font: 14, smallest: 11, largest: 20, line: 1.2, gap: 2, most: 500,
    settle: 200, cell: 64, narrow: 0.2 };

  function labelLayer(container, network, nodeList, colours, own) {
    var count = nodeList.length;
    var index = {};
    var texts = [];
    var radius = new Float32Array(count);
    var ghost = new Uint8Array(count);
    var width = new Float32Array(count).fill(-1);  // at LABELS.font px, measured when first placed
    nodeList.forEach(function (n, i) {
      index[n.id] = i;
      texts.push(n.text || "");
      radius[i] = n.size || 10;
      ghost[i] = n.group === "ghost" ? 1 : 0;
    });
    // most important first: by degree, then tier 1, 2, …, no tier, not written yet
    var ranked = nodeList.map(function (n, i) { return i; });
    function tierRank(n) { return n.ph ? 11 : (n.tier === null || n.tier === undefined ? 10 : n.tier); }
    ranked.sort(function (a, b) {
      var p = nodeList[a];
      var q = nodeList[b];
      return (q.deg || 0) - (p.deg || 0) || tierRank(p) - tierRank(q) || a - b;
    });
    var ids = nodeList.map(function (n) { return n.id; });
    var objects = new Array(count);
    var taken = new Uint8Array(count);
    var measurer = document.createElement("canvas").getContext("2d");
    measurer.font = LABELS.font + "px arial";
    var placed = null;  // node indices whose labels fit when the view last rested
    var shown = [];  // the last frame's labels: [node index, left, top, right, bottom] in px
    var hover = -1;
    var view = { scale: NaN, x: NaN, y: NaN, width: 0, height: 0 };
    var settle = null;
    var placings = 0;

    function nodesNow() {
      var body = network.body && network.body.nodes;
      for (var i = 0; i < count; i++) {
        var node = body ? body[ids[i]] : null;
        objects[i] = node && !node.options.hidden ? node : null;
      }
    }

    function fontSize(scale) {
      return Math.max(LABELS.smallest, Math.min(LABELS.largest, LABELS.font * scale));
    }

    function fit(order, kept, inView) {
      // The labels of order (node indices, most important first) that fit, as boxes; the
      // first `kept` are drawn whatever they overlap. inView: only labels wholly in view (one
      // cut by the edge of the canvas reads as another name), at most LABELS.most. A grid of
      // cells over the view finds the boxes near a box.
      var scale = network.getScale();
      var origin = network.canvasToDOM({ x: 0, y: 0 });
      var w = container.clientWidth;
      var h = container.clientHeight;
      var size = fontSize(scale);
      var ratio = size / LABELS.font;
      var height = size * LABELS.line + 2 * LABELS.gap;
      var cols = Math.max(1, Math.ceil(w / LABELS.cell));
      var rows = Math.max(1, Math.ceil(h / LABELS.cell));
      var grid = new Array(cols * rows);
      var found = [];
      function cell(v, n) { return Math.max(0, Math.min(n - 1, Math.floor(v / LABELS.cell))); }
      function free(box) {
        for (var r = cell(box[2], rows); r <= cell(box[4], rows); r++) {
          for (var c = cell(box[1], cols); c <= cell(box[3], cols); c++) {
            var list = grid[r * cols + c];
            if (!list) { continue; }
            for (var j = 0; j < list.length; j++) {
              var o = list[j];
              if (box[1] < o[3] && o[1] < box[3] && box[2] < o[4] && o[2] < box[4]) { return false; }
            }
          }
        }
        return true;
      }
      function take(box) {
        for (var r = cell(box[2], rows); r <= cell(box[4], rows); r++) {
          for (var c = cell(box[1], cols); c <= cell(box[3], cols); c++) {
            (grid[r * cols + c] = grid[r * cols + c] || []).push(box);
          }
        }
        taken[box[0]] = 1;
        found.push(box);
      }
      for (var k = 0; k < order.length; k++) {
        var i = order[k];
        var o = objects[i];
        if (!o || taken[i] || !texts[i]) { continue; }
        var x = o.x * scale + origin.x;
        var y = (o.y + radius[i]) * scale + origin.y + 2;
        if (inView && (y - LABELS.gap < 0 || y + height > h || x < 0 || x > w)) { continue; }
        if (width[i] < 0) {
          // measured only if a box of the narrowest such a text is (LABELS.narrow em a
          // character) fits: measuring is most of the time at first (10 µs a label)
          var least = texts[i].length * LABELS.narrow * size / 2;
          if (k >= kept && !free([i, x - least, y, x + least, y + size])) { continue; }
          width[i] = measurer.measureText(texts[i]).width;
        }
        var half = width[i] * ratio / 2 + LABELS.gap;
        if (inView && (x - half < 0 || x + half > w)) { continue; }
        if (k < kept) {
          // a label drawn whatever (the note's own, the hovered one) is moved into the view:
          // beside the edge it would run off, above its node if below would be cut
          x = Math.max(Math.min(x, w - half), Math.min(half, w / 2));
          if (y - LABELS.gap + height > h) { y = (o.y - radius[i]) * scale + origin.y - height; }
        }
        var box = [i, x - half, y - LABELS.gap, x + half, y - LABELS.gap + height];
        if (k < kept || free(box)) {
          take(box);
          if (inView && found.length >= LABELS.most) { break; }
        }
      }
      found.forEach(function (b) { taken[b[0]] = 0; });
      return found;
    }

    function pinned() {
      var list = network.getSelectedNodes().map(function (id) { return index[id]; });
      if (own !== null && index[own] !== undefined) { list.unshift(index[own]); }
      if (hover >= 0) { list.push(hover); }
      return list.filter(function (i) { return i !== undefined; });
    }

    function place() {
      // the labels that fit in the view as it is now (the nodes read by nodesNow)
      var started = window.performance.now();
      placed = fit(ranked, 0, true).map(function (box) { return box[0]; });
      placings++;
      container.setAttribute("data-labels-ms", String(Math.round(window.performance.now() - started)));
      container.setAttribute("data-labels-placed", String(placings));
    }

    function rested() {
      settle = null;
      nodesNow();
      place();
      network.redraw();
    }

    function moved() {
      // whether the view changed since the last frame; if so, labels are placed again once
      // it rests
      var scale = network.getScale();
      var at = network.getViewPosition();
      var w = container.clientWidth;
      var h = container.clientHeight;
      if (scale === view.scale && at.x === view.x && at.y === view.y && w === view.width &&
          h === view.height) { return false; }
      view = { scale: scale, x: at.x, y: at.y, width: w, height: h };
      return true;
    }

    function draw(ctx) {
      nodesNow();
      if (placed === null) {  // the first frame: its labels at once
        moved();
        place();
      } else if (moved()) {
        window.clearTimeout(settle);
        settle = window.setTimeout(rested, LABELS.settle);
      }
      var first = pinned();
      shown = fit(first.concat(placed), first.length, false);
      var scale = network.getScale();
      var size = fontSize(scale) / scale;
      var c = colours();
      ctx.save();
      ctx.font = size + "px arial";
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.lineJoin = "round";
      ctx.lineWidth = 3 * size / LABELS.font;
      ctx.strokeStyle = c.bg;
      shown.forEach(function (box) {  // where its box is (under its node, or moved into view)
        var i = box[0];
        var at = network.DOMtoCanvas({ x: (box[1] + box[3]) / 2, y: box[2] + LABELS.gap });
        ctx.strokeText(texts[i], at.x, at.y);
        ctx.fillStyle = ghost[i] ? c.ghost : c.fg;
        ctx.fillText(texts[i], at.x, at.y);
      });
      ctx.restore();
      container.setAttribute("data-labels-shown", String(shown.length));
    }

    network.on("afterDrawing", draw);
    network.on("dragEnd", function () {  // a node moved (the view's moves are seen by draw)
      window.clearTimeout(settle);
      settle = window.setTimeout(rested, LABELS.settle);
    });
    network.on("hoverNode", function (params) { hover = index[params.node] === undefined ? -1 : index[params.node]; });
    network.on("blurNode", function () { hover = -1; });

    return {
      refresh: function () {  // the nodes shown changed (a filter): placed again at once
        window.clearTimeout(settle);
        if (placed !== null) { rested(); }
      },
      resting: function () {  // placed for the view of the last frame
        return placed !== null && settle === null;
      },
      shown: function () {
        // the labels of the last frame, for tests: id, text, font size and box (px in the
        // graph's box; the box as placed, LABELS.gap wider each way than the text)
        var size = fontSize(network.getScale());
        return shown.map(function (b) {
          return { id: ids[b[0]], text: texts[b[0]], size: size, x: (b[1] + b[3]) / 2,
            top: b[2] + LABELS.gap, left: b[1], right: b[3], bottom: b[4] };
        });
      }
    };
  }

  function expand(data) {
    // A note page's local graph comes compact: nodes [id, label, group, size, name?],
    // edges [from index, to index, mention 0/1].
    // A large global graph comes compact too (compact 2): nodes [id, label, group, size, x, y,
    // deg, tier, [tag index], name?], edges [from index, to index, relation index, note?].
    if (!data.compact) { return data; }
    var ids = data.nodes.map(function (n) { return n[0]; });
    if (data.compact === 2) {
      var tags = data.tags || [];
      var rels = data.relations || [];
      return {
        lod: data.lod,
        fit_labels: data.fit_labels,
        options: data.options,
        nodes: data.nodes.map(function (n) {
          var node = { id: n[0], label: n[1], group: n[2], size: n[3], deg: n[6], tier: n[7],
            tags: n[8].map(function (t) { return tags[t]; }) };
          if (n[4] !== null) { node.x = n[4]; node.y = n[5]; }
          if (n.length > 9) { node.name = n[9]; }
          if (n[2] === "ghost") { node.ph = true; }
          return node;
        }),
        edges: data.edges.map(function (e) {
          var rel = rels[e[2]];
          var edge = { from: ids[e[0]], to: ids[e[1]], rel: rel };
          if (rel === "mentions") { edge.dashes = true; } else { edge.label = rel; }
          if (e.length > 3) { edge.note = e[3]; }
          return edge;
        })
      };
    }
    return {
      focus: data.focus,
      options: data.options,
      fit_labels: true,  // a hub's forty neighbours' names would overlap: those that fit
      nodes: data.nodes.map(function (n) {
        // ranked for its label by its size (its degree's class), the note itself first
        var node = { id: n[0], label: n[1], group: n[2], size: n[3],
          deg: n[0] === data.focus ? Infinity : n[3] };
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
    var lod = !!data.lod;
    var fitted = lod || !!data.fit_labels;  // the labels are labelLayer's
    var nodeList = data.nodes.map(function (n) {
      var copy = Object.assign({}, n);
      if (copy.id === focus) {
        copy.borderWidth = 5;
        copy.size = (copy.size || 10) + 6;
        copy.font = { size: 17 };
      }
      if (fitted) {
        copy.text = copy.label;
        delete copy.label;
      }
      return copy;
    });
    var nodes = new vis.DataSet(nodeList);
    var edges = new vis.DataSet(lod ? [] : data.edges);
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
    var colours = palette();
    var network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, themed(data.options, colours));
    // vis-network's own box takes the focus and the arrow keys: one stop in the Tab order (the
    // container had been a second one, where the keys did nothing), named as the container is
    var frame = container.querySelector(".vis-network");
    if (frame) {
      ["role", "aria-roledescription", "aria-label"].forEach(function (name) {
        if (container.hasAttribute(name)) {
          frame.setAttribute(name, container.getAttribute(name));
          container.removeAttribute(name);
        }
      });
    }
    var panel = document.getElementById(container.id === "global-graph" ? "graph-info" : "");
    var layer = lod ? lodLayer(container, network, nodeList, data.edges, function () { return colours; }) : null;
    var edgeCount = layer ? layer.length : 0;
    var labels = fitted ? labelLayer(container, network, nodeList, function () { return colours; }, focus) : null;

    function report() {
      container.setAttribute("data-node-count", String(nodeView.length));
      container.setAttribute("data-edge-count", String(layer ? edgeCount : edgeView.length));
    }
    report();
    network.once("afterDrawing", function () {
      container.setAttribute("data-drawn", "true");
      container.setAttribute("data-draw-ms", String(Math.round(window.performance.now())));
      report();
    });
    // Before the first frame a label has no place yet, and fit() frames the dots only: a
    // label at the edge ran off it (on a phone, most of them). Once a frame is drawn, fit()
    // frames the labels too; a node shown from the address (graph.html#id) keeps its view.
    function frameLabels() {
      network.once("afterDrawing", function () {
        if (network.getSelectedNodes().length) { return; }
        network.fit({ animation: false });
        if (labels) {
          // fit() frames the dots, the labels being the page's: a line more above and below,
          // so that a note's name under the lowest dot is not cut (a note page's own was)
          var h = container.clientHeight;
          var room = LABELS.font * LABELS.line + 2 * LABELS.gap + 2;
          if (h > 4 * room) {
            network.moveTo({ scale: network.getScale() * (h - 2 * room) / h, animation: false });
          }
        }
      });
    }
    if (data.options && data.options.physics && data.options.physics.enabled) {
      network.once("stabilizationIterationsDone", function () {
        network.setOptions({ physics: { enabled: false } });
        frameLabels();
      });
    } else if (!lod) {
      frameLabels();
    }

    function edgeInfo(e) {
      var from = nodes.get(e.from);
      var to = nodes.get(e.to);
      showInfo(panel, null, { rel: e.rel, note: e.note, fromName: from ? nameOf(from) : e.from, toName: to ? nameOf(to) : e.to });
    }

    network.on("click", function (params) {
      if (!params.nodes.length) {
        // no hover on a touch screen: a tap on an edge of the layer says what it is
        var k = layer ? layer.edgeAt(params.pointer.DOM) : -1;
        if (k >= 0) { layer.hover(k); edgeInfo(layer.edge(k)); }
        return;
      }
      var node = nodes.get(params.nodes[0]);
      if (node && node.id !== focus) { window.location.href = pageOf(node); }
    });
    network.on("hoverNode", function (params) { showInfo(panel, nodes.get(params.node), null); });
    network.on("hoverEdge", function (params) {
      var e = edges.get(params.edge);
      if (e) { edgeInfo(e); }
    });
    if (layer) {
      var pending = null;
      container.addEventListener("pointermove", function (event) {
        if (pending !== null || event.buttons || layer.moving()) { return; }
        var box = container.getBoundingClientRect();
        var dom = { x: event.clientX - box.left, y: event.clientY - box.top };
        pending = window.requestAnimationFrame(function () {
          pending = null;
          var k = network.getNodeAt(dom) === undefined ? layer.edgeAt(dom) : -1;
          if (layer.hover(k) && k >= 0) { edgeInfo(layer.edge(k)); }
        });
      });
      container.addEventListener("pointerleave", function () { layer.hover(-1); });
    }

    if (window.matchMedia) {
      var scheme = window.matchMedia("(prefers-color-scheme: dark)");
      var recolour = function () {
        colours = palette();
        network.setOptions(themed(data.options, colours));
      };
      if (scheme.addEventListener) { scheme.addEventListener("change", recolour); }
    }

    var api = {
      network: network, nodes: nodeView, edges: layer || edgeView, all: nodes, labels: labels,
      filter: function (nodeTest, relationSet) {
        visible = nodeTest;
        relations = relationSet;
        shownIds = null;
        if (nodeTest) {
          shownIds = {};
          nodes.forEach(function (n) { if (nodeTest(n)) { shownIds[n.id] = true; } });
        }
        nodeView.refresh();
        if (layer) {
          edgeCount = layer.filter(relationSet, shownIds ? function (id) { return !!shownIds[id]; } : null);
        } else {
          edgeView.refresh();
        }
        if (labels) { labels.refresh(); }
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
      if (count) { count.textContent = shown === total ? total + (total === 1 ? " node" : " nodes")
          : shown + " of " + total + (total === 1 ? " node" : " nodes"); }
    }
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
    // Back at the page (or on reloading it) the filters are as the reader left them, and so
    // is the graph. The browser's own restoring of the boxes came after the page's scripts
    // (the boxes unticked over the whole graph); the form has autocomplete="off", and the
    // filters are kept in the history entry, the address left as it is (#id shows a node).
    var tag = form.elements.namedItem("tag");
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox]"));
    function save() {
      var off = boxes.filter(function (box) { return !box.checked; }).map(function (box) {
        return box.name + "=" + box.value;
      });
      try {
        history.replaceState(Object.assign({}, history.state, { graphFilters: { off: off, tag: tag.value } }), "");
      } catch (err) { /* some file:// setups refuse; the filter still works */ }
    }
    form.addEventListener("change", save);
    form.addEventListener("reset", function () { window.setTimeout(save, 0); });
    var kept = history.state && history.state.graphFilters;
    if (kept && (kept.tag || (kept.off && kept.off.length))) {
      boxes.forEach(function (box) { box.checked = (kept.off || []).indexOf(box.name + "=" + box.value) < 0; });
      if (Array.prototype.some.call(tag.options, function (o) { return o.value === kept.tag; })) { tag.value = kept.tag; }
      apply();
    }
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
