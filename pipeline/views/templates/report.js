/* The report page's script, inlined as $script in report.html by pipeline/views/report.py,
after the vendored graphology and sigma builds (window.graphology, window.Sigma).
No placeholders (so "$" needs no escaping here): the data comes from the JSON in
#pressgraph-data (report_data in report.py says what it holds). The page's CSP carries
the sha256 of the inline text, computed at render.
This comment (and the line break ending it) is not part of the page. */

(function () {
  "use strict";
  var started = performance.now();
  var data = JSON.parse(document.getElementById("pressgraph-data").textContent);
  var parsed = performance.now();
  var E = data.entities, L = data.edges;
  var count = E.id.length, drawn = data.drawn, drawnEdges = data.drawnEdges;
  var container = document.getElementById("graph");
  var panel = document.getElementById("panel");
  var input = document.getElementById("search");
  var results = document.getElementById("results");
  var legend = document.getElementById("legend");
  var body = document.body;
  var FADED = "#e8e8e8", EDGE = "#d0d0d0", EDGE_ACTIVE = "#444";

  var view = {colour: data.colourBy, types: {}, minWeight: 1, from: "", to: ""};
  var nodeHidden = new Uint8Array(drawn), edgeHidden = new Uint8Array(drawnEdges);
  var selected = -1, around = {};  // the selected entity and its neighbours
  var incident = [];  // drawn entity -> its drawn edges
  for (var i = 0; i < drawn; i++) incident.push([]);
  for (var j = 0; j < drawnEdges; j++) {
    incident[L.source[j]].push(j);
    incident[L.target[j]].push(j);
  }

  function h(tag, className, text, parent) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fold(s) {
    return String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[\u2019\u02bc]/g, "'").toLowerCase();
  }
  function other(j, i) { return L.source[j] === i ? L.target[j] : L.source[j]; }
  function number(n) { return Number(n).toLocaleString("en"); }
  function communityColour(c) {
    return c >= 0 && c < data.communityColours.length ? data.communityColours[c] : data.otherColour;
  }
  function colour(i) {
    if (view.colour === "community") return communityColour(E.community[i]);
    return data.types[E.type[i]] || data.otherColour;
  }

  // ---- the graph: the `drawn` most mentioned entities, laid out in Python
  var graph = new graphology.UndirectedGraph();
  var maxWeight = 1;
  for (i = 0; i < drawn; i++) {
    // the layout's y axis points down, sigma's up
    graph.addNode(String(i), {x: E.x[i], y: -E.y[i], size: E.size[i], label: E.name[i]});
  }
  for (j = 0; j < drawnEdges; j++) maxWeight = Math.max(maxWeight, L.weight[j]);
  for (j = 0; j < drawnEdges; j++) {
    graph.addEdgeWithKey("e" + j, String(L.source[j]), String(L.target[j]),
      {size: 0.4 + 2.6 * Math.sqrt(L.weight[j] / maxWeight), color: EDGE});
  }

  // bigger nodes are drawn over smaller ones, so a hub stays visible and clickable; a selection over all,
  // the other nodes faded and unlabelled
  function nodeReducer(key) {
    var i = Number(key), shown = {color: colour(i), labelSize: 12, zIndex: E.size[i]};
    if (nodeHidden[i]) {
      shown.visibility = "hidden";
      shown.labelVisibility = "hidden";
    } else if (selected >= 0) {
      if (i === selected) {
        shown.labelVisibility = "visible";
        shown.zIndex = 100;
      } else if (around[i]) {
        // the label grid picks which neighbours are labelled, so that labels do not overlap
        shown.zIndex = 50 + E.size[i];
      } else {
        shown.color = FADED;
        shown.labelVisibility = "hidden";
      }
    }
    return shown;
  }
  function edgeReducer(key, display) {
    var j = Number(key.slice(1));
    if (edgeHidden[j]) return {visibility: "hidden"};
    if (selected < 0) return {};
    if (L.source[j] === selected || L.target[j] === selected) {
      return {color: EDGE_ACTIVE, size: display.size + 0.6, zIndex: 1};
    }
    return {color: "#f2f2f2", zIndex: 0};
  }

  var renderer = null;
  try {
    renderer = new Sigma(graph, container, {
      nodeReducer: nodeReducer,
      edgeReducer: edgeReducer,
      settings: {
        // sizes are screen pixels growing with the square root of the zoom: zooming in separates nodes
        itemSizesReference: "screen",
        zoomToSizeRatioFunction: Math.sqrt,
        // labels: sigma's label grid keeps one label per cell, the biggest node's; more appear as you zoom in
        labelDensity: 1,
        labelGridCellSize: 150,
        labelRenderedSizeThreshold: 7,
        enableCameraRotation: false,
        enableCameraMouseRotation: false,
        minCameraRatio: 0.01,
        maxCameraRatio: 4,
        hideEdgesOnMove: drawnEdges > 20000
      }
    });
  } catch (err) {
    renderer = null;
    container.classList.add("no-graph");
    h("p", "none", "The graph is not drawn: this browser offers no WebGL 2 (" + (err && err.message || err) +
      "). Search, panels and the table still work.", container);
  }
  body.dataset.webgl = renderer ? "true" : "false";
  var drawnAt = performance.now();

  // ---- filters
  function dated(start, end) {
    if (!view.from && !view.to) return true;
    if (!start) return false;
    return (!view.from || end >= view.from) && (!view.to || start <= view.to);
  }
  // why a drawn entity is hidden ("" when it is not)
  function hiddenBy(i) {
    if (!view.types[E.type[i]]) return "its type, " + E.type[i] + ", is unchecked in the filters";
    if (!dated(E.start[i], E.end[i])) {
      return E.start[i] ? "it co-occurs only from " + E.start[i] + " to " + E.end[i] + ", outside the dates chosen"
        : "it is in no dated co-occurrence, and dates are chosen";
    }
    return "";
  }
  // (nothing is hidden when the page opens: every type checked, no minimum weight, no dates)
  function applyFilters() {
    for (var i = 0; i < drawn; i++) nodeHidden[i] = hiddenBy(i) ? 1 : 0;
    for (var j = 0; j < drawnEdges; j++) {
      edgeHidden[j] = nodeHidden[L.source[j]] || nodeHidden[L.target[j]] || L.weight[j] < view.minWeight ||
        !dated(L.start[j], L.end[j]) ? 1 : 0;
    }
    if (renderer) renderer.refresh();
    if (selected >= 0) showPanel(selected);
  }
  var filters = document.getElementById("filters");
  Array.prototype.forEach.call(filters.querySelectorAll("input[name=type]"), function (box) {
    view.types[box.value] = box.checked;
  });
  Array.prototype.forEach.call(filters.querySelectorAll("input[name=colour]"), function (radio) {
    radio.checked = radio.value === view.colour;
  });
  var weight = document.getElementById("min-weight"), weightValue = document.getElementById("min-weight-value");
  weight.max = String(maxWeight);
  weight.disabled = maxWeight <= 1;
  var from = document.getElementById("date-from"), to = document.getElementById("date-to");
  var days = L.start.concat(L.end).filter(Boolean).sort();
  if (days.length) {
    document.getElementById("dates").hidden = false;
    from.min = to.min = days[0];
    from.max = to.max = days[days.length - 1];
  }
  filters.addEventListener("input", function (evt) {
    var target = evt.target;
    if (target.name === "type") view.types[target.value] = target.checked;
    else if (target.name === "colour") { view.colour = target.value; showLegend(); }
    else if (target === weight) { view.minWeight = Number(weight.value); weightValue.textContent = weight.value; }
    else if (target === from) view.from = from.value;
    else if (target === to) view.to = to.value;
    applyFilters();
  });
  filters.addEventListener("submit", function (evt) { evt.preventDefault(); });
  document.getElementById("reset").addEventListener("click", function () {
    if (renderer) renderer.getCamera().reset({duration: 300});
  });

  // in community mode, the legend names the biggest communities by their most mentioned drawn members
  function showLegend() {
    legend.textContent = "";
    if (view.colour !== "community") return;
    var members = data.communityColours.map(function () { return []; });
    for (var i = 0; i < drawn; i++) {
      var c = E.community[i];
      if (c >= 0 && c < members.length && members[c].length < 3) members[c].push(E.name[i]);
    }
    members.forEach(function (names, c) {
      if (!names.length) return;
      var key = h("span", "key", null, legend);
      h("span", "dot", null, key).style.background = communityColour(c);
      key.appendChild(document.createTextNode(names.join(", ") + "…"));
    });
    var rest = h("span", "key", null, legend);
    h("span", "dot", null, rest).style.background = data.otherColour;
    rest.appendChild(document.createTextNode("other communities"));
  }

  // ---- the side panel
  function marked(text, spans, self, parent) {
    var at = 0;
    spans.forEach(function (s) {
      if (s[0] < at) return;
      if (s[0] > at) parent.appendChild(document.createTextNode(text.slice(at, s[0])));
      h("mark", s[2] === self ? "self" : "other", text.slice(s[0], s[1]), parent);
      at = s[1];
    });
    if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
  }
  function link(href, text, parent, className) {
    var a = h("a", className, text, parent);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  // where a sentence comes from: the article's title (or file name), date and URL, and its offsets in the text
  function citation(ev, parent) {
    var doc = data.documents[ev[2]], where = h("span", "where", null, parent);
    h("span", "doc", doc.name, where);
    if (doc.date) h("span", "date", doc.date.slice(0, 10), where);
    if (/^https?:\/\//i.test(doc.url)) link(doc.url, doc.url.replace(/^https?:\/\/(www\.)?/i, "").split("/")[0], where, "url");
    var span = "sentence " + ev[3] + ", characters " + ev[4] + "–" + ev[5];
    // RFC 5147 fragment: the characters of the sentence in the text the offsets index
    if (doc.href) link(doc.href + "#char=" + ev[4] + "," + ev[5], span, where, "offsets");
    else h("span", "offsets", span, where);
  }
  function fact(dl, term, value) {
    h("dt", null, term, dl);
    h("dd", null, value === "" || value === undefined ? "—" : value, dl);
  }
  // why an entity is not on the graph ("" when it is)
  function absence(i) {
    if (i >= drawn) {
      return "Not on the graph: it is number " + number(i + 1) + " by mentions, and the graph draws the " +
        number(drawn) + " most mentioned entities (setting report.max_nodes). Its neighbours and sentences are below.";
    }
    var why = hiddenBy(i);
    if (why) return "Hidden on the graph: " + why + ".";
    if (!renderer) return "Not on the graph: this browser cannot draw it (no WebGL 2).";
    return "";
  }
  function showPanel(i) {
    panel.textContent = "";
    if (i < 0) {
      h("p", "empty", "Click a node, or search any entity, to see its strongest neighbours.", panel);
      return;
    }
    var title = h("h2", null, null, panel);
    h("span", "dot t-" + E.type[i], null, title);
    title.appendChild(document.createTextNode(E.name[i]));
    var why = absence(i);
    if (why) h("p", "absent", why, panel);
    var dl = h("dl", null, null, panel);
    fact(dl, "type", E.type[i]);
    fact(dl, "Wikidata", E.wikidata[i]);
    fact(dl, "entity id", E.id[i]);
    fact(dl, "mentions", E.mentions[i]);
    fact(dl, "documents", E.documents[i]);
    fact(dl, "degree", E.degree[i]);
    fact(dl, "PageRank", E.pagerank[i].toFixed(4));
    fact(dl, "community", E.community[i] >= 0 ? E.community[i] : "");
    if (E.start[i]) fact(dl, "co-occurs", E.start[i] === E.end[i] ? E.start[i] : E.start[i] + " – " + E.end[i]);
    if (E.aliases[i].length) fact(dl, "also named", E.aliases[i].join(", "));
    h("h3", null, "Strongest neighbours", panel);
    if (!E.links[i].length) h("p", "none", "No co-occurrence with another entity.", panel);
    E.links[i].forEach(function (j) {
      var m = other(j, i), head = h("div", "neighbour-head", null, panel);
      h("span", "dot t-" + E.type[m], null, head);
      var b = h("button", null, E.name[m], head);
      b.type = "button";
      b.addEventListener("click", function () { choose(m); });
      h("span", "weight", "weight " + L.weight[j] + " · " + L.documents[j] + " document" +
        (L.documents[j] === 1 ? "" : "s") + (m >= drawn ? " · not drawn" : ""), head);
      if (!L.evidence[j].length) h("p", "none", "No sentence kept for this pair.", panel);
      L.evidence[j].forEach(function (ev) {
        var q = h("blockquote", "evidence", null, panel);
        if (ev[1]) h("span", "relation", ev[1], q);
        marked(data.sentences[ev[0]], ev[6], i, q);
        citation(ev, q);
      });
    });
    panel.scrollTop = 0;
  }

  function select(i) {
    selected = i >= 0 && i < count ? i : -1;
    around = {};
    // an entity not drawn still lights up its drawn neighbours
    if (selected >= 0 && selected < drawn) incident[selected].forEach(function (j) { around[other(j, selected)] = true; });
    if (selected >= 0) E.links[selected].forEach(function (j) { around[other(j, selected)] = true; });
    body.dataset.selected = selected >= 0 ? E.id[selected] : "";
    if (renderer) renderer.refresh({skipIndexation: true});
    showPanel(selected);
  }
  // select, and bring a drawn entity into view
  function choose(i) {
    select(i);
    if (renderer && i >= 0 && i < drawn && !nodeHidden[i]) {
      var at = renderer.getNodeDisplayData(String(i)), camera = renderer.getCamera();
      if (at) camera.animate({x: at.x, y: at.y, ratio: Math.min(camera.getState().ratio, 0.5)}, {duration: 300});
    }
  }
  if (renderer) {
    renderer.on("clickNode", function (evt) { select(Number(evt.node)); });
    renderer.on("clickStage", function () { select(-1); });
  }

  // ---- search: every entity, drawn or not, by name or alias
  var keys = E.name.map(fold), aliasKeys = E.aliases.map(function (a) { return a.map(fold); });
  function search(query) {
    var q = fold(query).trim();
    if (!q) return [];
    var byName = [], byAlias = [];
    for (var i = 0; i < count; i++) {
      var at = keys[i].indexOf(q);
      if (at >= 0) byName.push({i: i, alias: "", first: at === 0});
      else {
        var a = aliasKeys[i].findIndex(function (k) { return k.indexOf(q) >= 0; });
        if (a >= 0) byAlias.push({i: i, alias: E.aliases[i][a], first: false});
      }
    }
    // names starting with the query first, then by mentions (the entities are in that order already)
    byName.sort(function (a, b) { return (b.first - a.first) || a.i - b.i; });
    return byName.concat(byAlias);
  }
  var found = [], active = 0;
  function showResults() {
    results.textContent = "";
    found.slice(0, 10).forEach(function (r, k) {
      var li = h("li", k === active ? "active" : "", null, results);
      li.setAttribute("role", "option");
      li.dataset.id = E.id[r.i];
      h("span", "dot t-" + E.type[r.i], null, li);
      li.appendChild(document.createTextNode(E.name[r.i] + " "));
      if (r.alias) h("span", "alias", "(" + r.alias + ") ", li);
      if (r.i >= drawn) h("span", "tag", "not drawn", li);
      li.addEventListener("mousedown", function (evt) { evt.preventDefault(); pick(r.i); });
    });
  }
  function pick(i) {
    found = [];
    showResults();
    input.value = E.name[i];
    choose(i);
  }
  input.addEventListener("input", function () { found = search(input.value); active = 0; showResults(); });
  input.addEventListener("keydown", function (evt) {
    if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
      evt.preventDefault();
      var shown = Math.min(found.length, 10);
      if (shown) { active = (active + (evt.key === "ArrowDown" ? 1 : shown - 1)) % shown; showResults(); }
    } else if (evt.key === "Enter") {
      if (found.length) pick(found[Math.min(active, found.length - 1)].i);
    } else if (evt.key === "Escape") {
      found = [];
      showResults();
    }
  });
  input.addEventListener("blur", function () { found = []; showResults(); });

  // ---- the top entities table
  var table = document.getElementById("top");
  table.tBodies[0].addEventListener("click", function (evt) {
    var row = evt.target.closest("tr");
    if (row) { choose(Number(row.getAttribute("data-node"))); window.scrollTo(0, 0); }
  });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.addEventListener("click", function () {
      var key = Number(th.getAttribute("data-key")), numeric = th.classList.contains("num");
      var rows = Array.prototype.slice.call(table.tBodies[0].rows);
      var down = th.getAttribute("data-order") !== "down";
      rows.sort(function (a, b) {
        var x = a.cells[key].textContent, y = b.cells[key].textContent;
        var c = numeric ? Number(x) - Number(y) : x.localeCompare(y, "fr");
        return down === numeric ? -c : c;
      });
      th.setAttribute("data-order", down ? "down" : "up");
      rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
    });
  });

  // #entity=<id> or #search=<text> in the address selects an entity on load
  function fromHash() {
    var hash;
    try { hash = decodeURIComponent(location.hash.slice(1)); } catch (err) { return; }  // a malformed address
    if (hash.indexOf("entity=") === 0) {
      var i = E.id.indexOf(hash.slice(7));
      if (i >= 0) pick(i);
    } else if (hash.indexOf("search=") === 0) {
      var r = search(hash.slice(7));
      if (r.length) pick(r[0].i);
    }
  }
  window.addEventListener("hashchange", fromHash);

  showLegend();
  fromHash();
  // drawn nodes and edges the filters leave on the graph
  function shown() {
    var nodes = 0, edges = 0;
    for (var i = 0; i < drawn; i++) nodes += nodeHidden[i] ? 0 : 1;
    for (var j = 0; j < drawnEdges; j++) edges += edgeHidden[j] ? 0 : 1;
    return {nodes: nodes, edges: edges};
  }
  window.pressgraph = {data: data, sigma: renderer, select: select, choose: choose, search: search, shown: shown};
  body.dataset.nodes = String(graph.order);
  body.dataset.edges = String(graph.size);
  body.dataset.ready = "true";
  // page timings, ms from the start of navigation: the script's start, the data parsed, sigma set up,
  // the script done, the first frame, and that frame drawn (reading a pixel waits for the GPU)
  var ready = performance.now();
  requestAnimationFrame(function () {
    var frame = performance.now();
    if (renderer) {
      var gl = renderer.getWebGLContext();
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
    }
    body.dataset.timings = JSON.stringify({script: started, parsed: parsed, sigma: drawnAt, ready: ready,
      frame: frame, painted: performance.now()});
  });
})();
