/* The report page's script, inlined as $script in report.html by pipeline/views/report.py.
No placeholders (so "$" needs no escaping here): the data comes from the JSON in
#pressgraph-data. The page's CSP carries the sha256 of the inline text, computed at render.
This comment (and the line break ending it) is not part of the page. */

(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("pressgraph-data").textContent);
  var svg = document.getElementById("graph");
  var NS = svg.namespaceURI;
  var viewport = document.getElementById("viewport");
  var edgeLayer = document.getElementById("edges");
  var nodeLayer = document.getElementById("nodes");
  var labelLayer = document.getElementById("labels");
  var panel = document.getElementById("panel");
  var input = document.getElementById("search");
  var results = document.getElementById("results");
  var nodes = data.nodes, edges = data.edges;
  var circles = [], texts = [], lines = [], incident = nodes.map(function () { return []; });
  var view = {x: 0, y: 0, k: 1};
  var selected = -1;

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }
  function h(tag, className, text, parent) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (parent) parent.appendChild(e);
    return e;
  }
  function colour(type) { return data.types[type] || data.otherColour; }
  function fold(s) {
    return String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/\u2019/g, "'").toLowerCase();
  }

  // ---- drawing
  var maxWeight = edges.reduce(function (m, e) { return Math.max(m, e[2]); }, 1);
  edges.forEach(function (e, i) {
    var a = nodes[e[0]], b = nodes[e[1]];
    lines.push(el("line", {"class": "edge", x1: a.x, y1: a.y, x2: b.x, y2: b.y,
      "stroke-width": (0.5 + 4 * Math.sqrt(e[2] / maxWeight)).toFixed(2), "vector-effect": "non-scaling-stroke"},
      edgeLayer));
    incident[e[0]].push(i);
    incident[e[1]].push(i);
  });
  nodes.forEach(function (n, i) {
    var c = el("circle", {"class": "node", cx: n.x, cy: n.y, r: n.r, fill: colour(n.type),
      "data-index": i, "data-id": n.id, "vector-effect": "non-scaling-stroke"}, nodeLayer);
    el("title", {}, c).textContent = n.name + " (" + n.type + ", " + n.mentions + " mentions)";
    circles.push(c);
    var t = el("text", {"class": "label" + (n.label ? " big" : ""), x: n.x + n.r + 2, y: n.y + 4}, labelLayer);
    t.textContent = n.name;
    texts.push(t);
  });

  // ---- pan and zoom
  function apply() {
    viewport.setAttribute("transform", "translate(" + view.x + " " + view.y + ") scale(" + view.k + ")");
    // labels keep their size on screen: 11px whatever the zoom and the window
    var m = svg.getScreenCTM(), unit = (m && m.a > 0 ? m.a : 1) * view.k;
    labelLayer.setAttribute("font-size", (11 / unit).toFixed(3));
    labelLayer.setAttribute("stroke-width", (3 / unit).toFixed(3));
  }
  function point(evt) {
    var m = svg.getScreenCTM();
    if (!m) return {x: 0, y: 0};
    var p = svg.createSVGPoint();
    p.x = evt.clientX; p.y = evt.clientY;
    p = p.matrixTransform(m.inverse());
    return {x: p.x, y: p.y};
  }
  svg.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var p = point(evt), f = Math.exp(-evt.deltaY * 0.0015);
    var k = Math.min(40, Math.max(0.2, view.k * f));
    f = k / view.k;
    view.x = p.x - (p.x - view.x) * f;
    view.y = p.y - (p.y - view.y) * f;
    view.k = k;
    apply();
  }, {passive: false});
  var drag = null, dragged = false;
  svg.addEventListener("pointerdown", function (evt) {
    drag = {p: point(evt), cx: evt.clientX, cy: evt.clientY};
    dragged = false;
  });
  window.addEventListener("pointermove", function (evt) {
    if (!drag) return;
    if (!dragged && Math.abs(evt.clientX - drag.cx) + Math.abs(evt.clientY - drag.cy) > 3) {
      dragged = true;
      svg.classList.add("panning");
    }
    if (dragged) {
      var p = point(evt);
      view.x += p.x - drag.p.x;
      view.y += p.y - drag.p.y;
      drag.p = p;
      apply();
    }
  });
  window.addEventListener("pointerup", function () { drag = null; svg.classList.remove("panning"); });
  svg.addEventListener("click", function (evt) {
    if (dragged) return;
    var target = evt.target;
    if (target.classList && target.classList.contains("node")) select(Number(target.getAttribute("data-index")));
    else select(-1);
  });
  window.addEventListener("resize", apply);
  document.getElementById("reset").addEventListener("click", function () {
    view = {x: 0, y: 0, k: 1}; apply();
  });

  // ---- selection and the side panel
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
  function fact(dl, term, value) {
    h("dt", null, term, dl);
    h("dd", null, value === "" ? "—" : value, dl);
  }
  function showPanel(n) {
    panel.textContent = "";
    if (!n) {
      h("p", "empty", "Click a node, or search an entity, to see its strongest neighbours.", panel);
      return;
    }
    var title = h("h2", null, null, panel);
    h("span", "dot t-" + n.type, null, title);
    title.appendChild(document.createTextNode(n.name));
    var dl = h("dl", null, null, panel);
    fact(dl, "type", n.type);
    fact(dl, "Wikidata", n.wikidata);
    fact(dl, "entity id", n.id);
    fact(dl, "mentions", n.mentions);
    fact(dl, "documents", n.documents);
    fact(dl, "degree", n.degree);
    fact(dl, "PageRank", n.pagerank.toFixed(4));
    if (n.aliases.length) fact(dl, "also named", n.aliases.join(", "));
    h("h3", null, "Strongest neighbours", panel);
    if (!n.neighbours.length) h("p", "none", "No co-occurrence with another entity.", panel);
    n.neighbours.forEach(function (m) {
      var head = h("div", "neighbour-head", null, panel);
      h("span", "dot t-" + m.type, null, head);
      if (m.node >= 0) {
        var b = h("button", null, m.name, head);
        b.type = "button";
        b.addEventListener("click", function () { select(m.node); });
      } else {
        h("span", null, m.name, head);
      }
      h("span", "weight", "weight " + m.weight + " · " + m.documents + " document" + (m.documents === 1 ? "" : "s"),
        head);
      if (!m.evidence.length) h("p", "none", "No sentence kept for this pair.", panel);
      m.evidence.forEach(function (ev) {
        var q = h("blockquote", "evidence", null, panel);
        if (ev[1]) h("span", "relation", ev[1], q);
        marked(data.sentences[ev[0]], ev[3], n.id, q);
        h("span", "where", ev[2], q);
      });
    });
    panel.scrollTop = 0;
  }
  function highlight(i, on) {
    circles[i].classList.toggle("selected", on);
    texts[i].classList.toggle("shown", on);
    incident[i].forEach(function (e) {
      lines[e].classList.toggle("active", on);
      circles[edges[e][0] === i ? edges[e][1] : edges[e][0]].classList.toggle("neighbour", on);
    });
    nodes[i].neighbours.forEach(function (m) { if (m.node >= 0) texts[m.node].classList.toggle("shown", on); });
  }
  function select(i) {
    if (selected >= 0) highlight(selected, false);
    selected = (i >= 0 && i < nodes.length) ? i : -1;
    svg.classList.toggle("selection", selected >= 0);
    document.body.dataset.selected = selected >= 0 ? nodes[selected].id : "";
    if (selected < 0) { showPanel(null); return; }
    highlight(selected, true);
    nodeLayer.appendChild(circles[selected]);
    showPanel(nodes[selected]);
  }

  // ---- search
  var keys = nodes.map(function (n) { return {name: fold(n.name), aliases: n.aliases.map(fold)}; });
  function search(query) {
    var q = fold(query).trim();
    if (!q) return [];
    var byName = [], byAlias = [];
    nodes.forEach(function (n, i) {
      if (keys[i].name.indexOf(q) >= 0) byName.push({i: i, alias: ""});
      else {
        var a = keys[i].aliases.findIndex(function (k) { return k.indexOf(q) >= 0; });
        if (a >= 0) byAlias.push({i: i, alias: n.aliases[a]});
      }
    });
    function rank(a, b) {
      var sa = keys[a.i].name.indexOf(q) === 0 ? 0 : 1, sb = keys[b.i].name.indexOf(q) === 0 ? 0 : 1;
      return sa - sb || nodes[b.i].mentions - nodes[a.i].mentions || a.i - b.i;
    }
    return byName.sort(rank).concat(byAlias.sort(rank));
  }
  var found = [], active = 0;
  function showResults() {
    results.textContent = "";
    found.slice(0, 10).forEach(function (r, k) {
      var li = h("li", k === active ? "active" : "", null, results);
      li.setAttribute("role", "option");
      h("span", "dot t-" + nodes[r.i].type, null, li);
      li.appendChild(document.createTextNode(nodes[r.i].name + " "));
      if (r.alias) h("span", "alias", "(" + r.alias + ")", li);
      li.addEventListener("mousedown", function (evt) { evt.preventDefault(); choose(r.i); });
    });
  }
  function choose(i) {
    found = []; showResults();
    input.value = nodes[i].name;
    select(i);
  }
  input.addEventListener("input", function () { found = search(input.value); active = 0; showResults(); });
  input.addEventListener("keydown", function (evt) {
    if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
      evt.preventDefault();
      var shown = Math.min(found.length, 10);
      if (shown) { active = (active + (evt.key === "ArrowDown" ? 1 : shown - 1)) % shown; showResults(); }
    } else if (evt.key === "Enter") {
      if (found.length) choose(found[Math.min(active, found.length - 1)].i);
    } else if (evt.key === "Escape") {
      found = []; showResults();
    }
  });
  input.addEventListener("blur", function () { found = []; showResults(); });

  // ---- the top entities table
  var table = document.getElementById("top");
  table.tBodies[0].addEventListener("click", function (evt) {
    var row = evt.target.closest("tr");
    var i = row ? Number(row.getAttribute("data-node")) : -1;
    if (i >= 0) { select(i); window.scrollTo(0, 0); }
  });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.addEventListener("click", function () {
      var key = Number(th.getAttribute("data-key")), numeric = th.classList.contains("num");
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var down = th.getAttribute("data-order") !== "down";
      rows.sort(function (a, b) {
        var x = a.cells[key].textContent, y = b.cells[key].textContent;
        var c = numeric ? Number(x) - Number(y) : x.localeCompare(y, "fr");
        return down === numeric ? -c : c;
      });
      th.setAttribute("data-order", down ? "down" : "up");
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });

  // #entity=<id> or #search=<text> in the address selects an entity on load
  function fromHash() {
    var hash = decodeURIComponent(location.hash.slice(1));
    if (hash.indexOf("entity=") === 0) {
      var id = hash.slice(7);
      select(nodes.findIndex(function (n) { return n.id === id; }));
    } else if (hash.indexOf("search=") === 0) {
      var r = search(hash.slice(7));
      if (r.length) { input.value = nodes[r[0].i].name; select(r[0].i); }
    }
  }
  window.addEventListener("hashchange", fromHash);

  apply();
  fromHash();
  window.pressgraph = {data: data, nodes: nodes, edges: edges, select: select, search: search};
  document.body.dataset.nodes = String(nodeLayer.querySelectorAll("circle.node").length);
  document.body.dataset.edges = String(edgeLayer.querySelectorAll("line.edge").length);
  document.body.dataset.ready = "true";
})();
