// Draws the graph of links around a node with Cytoscape (served from /static/vendor), from the JSON in the
// page. Clicking a node opens its page. Without JavaScript the page still lists every link.
//
// Readable at any zoom: names keep one size on screen (LABEL_PX), and only the root and its neighbours are named,
// the root first and then the best-connected, each only where its name overlaps no name already shown. Zooming
// in makes room for more names; pointing at a node shows its name and the types of its links. Zoom stays within
// MIN_ZOOM..MAX_ZOOM, and a small graph opens at no more than START_ZOOM.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  if (!box || typeof cytoscape !== "function") { return; }
  var data = JSON.parse(document.getElementById(box.dataset.source).textContent);
  var LABEL_PX = 11, NODE_PX = 9, ROOT_PX = 16, LABEL_WIDTH_PX = 150, EDGE_LABEL_PX = 9, GAP_PX = 2;
  var MIN_ZOOM = 0.15, MAX_ZOOM = 3, START_ZOOM = 1.2, SPREAD = 80;
  var cy = cytoscape({
    container: box,
    elements: { nodes: data.nodes, edges: data.edges },
    minZoom: MIN_ZOOM,
    maxZoom: MAX_ZOOM,
    style: [
      { selector: "node", style: { "label": "", "background-color": "data(colour)", "width": 14, "height": 14,
        "font-size": LABEL_PX, "color": "#1d2330", "text-valign": "bottom", "text-margin-y": 3,
        "text-wrap": "ellipsis", "text-max-width": LABEL_WIDTH_PX, "text-background-color": "#ffffff",
        "text-background-opacity": 0.8, "text-background-padding": 1, "min-zoomed-font-size": 0 } },
      { selector: "node.named, node.hover", style: { "label": "data(label)" } },
      { selector: "node.hover", style: { "text-background-opacity": 1, "z-index": 20, "border-width": 2,
        "border-color": "#1d2330" } },
      { selector: "node[?root]", style: { "width": 24, "height": 24, "border-width": 3, "border-color": "#f1c40f",
        "font-weight": "bold" } },
      { selector: "edge", style: { "width": 1.2, "line-color": "#b8c0cc", "target-arrow-color": "#b8c0cc",
        "target-arrow-shape": "triangle", "curve-style": "bezier", "label": "", "font-size": EDGE_LABEL_PX,
        "color": "#5b6475", "text-rotation": "autorotate", "text-background-color": "#ffffff",
        "text-background-opacity": 0.9, "text-background-padding": 1 } },
      { selector: "edge.hover", style: { "label": "data(type)", "width": 2, "line-color": "#5b6475",
        "target-arrow-color": "#5b6475", "z-index": 19 } },
      { selector: ".quiet", style: { "label": "" } },
      { selector: ".faded", style: { "opacity": 0.35 } }
    ],
    layout: { name: "preset" }
  });
  var root = cy.nodes("[?root]");
  // Who may be named without pointing: the root, then its neighbours, the best-connected first.
  var candidates = root.union(root.neighborhood("node").sort(function (a, b) {
    return b.degree() - a.degree() || (a.data("label") < b.data("label") ? -1 : 1);
  }));

  function labelBox(el) {
    return el.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true, includeMainLabels: true,
      includeSourceLabels: false, includeTargetLabels: false, includeOverlays: false });
  }
  function overlaps(a, b, gap) {
    return a.x1 - gap < b.x2 && b.x1 - gap < a.x2 && a.y1 - gap < b.y2 && b.y1 - gap < a.y2;
  }

  // Keep each name the same size on screen whatever the zoom, then name what fits, in order of importance.
  function placeLabels() {
    var z = cy.zoom();
    cy.batch(function () {
      cy.nodes().not("[?root]").style({ "width": Math.max(14, NODE_PX / z), "height": Math.max(14, NODE_PX / z) });
      root.style({ "width": Math.max(24, ROOT_PX / z), "height": Math.max(24, ROOT_PX / z), "border-width": Math.max(3, 3 / z) });
      cy.nodes().style({ "font-size": LABEL_PX / z, "text-max-width": LABEL_WIDTH_PX / z, "text-margin-y": 3 / z,
        "text-background-padding": 1 / z });
      cy.edges().style({ "font-size": EDGE_LABEL_PX / z, "text-background-padding": 1 / z });
      cy.nodes().removeClass("named quiet");
      candidates.addClass("named");
    });
    var shown = [], gap = GAP_PX / z, view = cy.extent();
    cy.batch(function () {
      candidates.forEach(function (node) {
        var b = labelBox(node), cut = b.x1 < view.x1 || b.x2 > view.x2 || b.y1 < view.y1 || b.y2 > view.y2;
        if ((cut && !node.data("root")) || shown.some(function (s) { return overlaps(b, s, gap); })) {
          node.removeClass("named");
        } else {
          shown.push(b);
        }
      });
    });
    hovered();
  }

  var scheduled = false;
  function later() {
    if (scheduled) { return; }
    scheduled = true;
    window.requestAnimationFrame(function () { scheduled = false; placeLabels(); });
  }

  // Pointing at a node names it, shows the types of its links and quiets any name its own would cover.
  var current = null;
  function hovered() {
    cy.batch(function () {
      cy.elements().removeClass("hover faded quiet");
      if (!current) { return; }
      var near = current.closedNeighborhood();
      current.addClass("hover");
      current.connectedEdges().addClass("hover");
      cy.elements().difference(near).addClass("faded");
    });
    if (!current) { return; }
    var mine = labelBox(current), gap = GAP_PX / cy.zoom(), shown = [mine];
    cy.batch(function () {
      cy.nodes(".named").forEach(function (node) {
        if (node === current) { return; }
        var b = labelBox(node);
        if (overlaps(b, mine, gap)) { node.addClass("quiet"); } else { shown.push(b); }
      });
      current.connectedEdges().forEach(function (edge) {  // a link's type where it covers no name
        var b = labelBox(edge);
        if (shown.some(function (s) { return overlaps(b, s, gap); })) { edge.addClass("quiet"); } else { shown.push(b); }
      });
    });
  }
  cy.on("mouseover", "node", function (evt) { current = evt.target; hovered(); });
  cy.on("mouseout", "node", function () { current = null; hovered(); });
  cy.on("mouseover", "edge", function (evt) { box.title = evt.target.data("type") + ": " + evt.target.data("evidence"); });
  cy.on("mouseover", "node", function (evt) { box.title = evt.target.data("name") || ""; });
  cy.on("tap", "node", function (evt) { var url = evt.target.data("url"); if (url) { window.location.href = url; } });
  cy.on("zoom pan", later);
  cy.on("dragfree", "node", later);

  // A neighbourhood of one link is a star: the root in the middle, its neighbours in a ring around it (the
  // best-connected first); so is a big graph, in rings by distance. A small graph of two or three links finds its
  // shape by force. Then the drawing is stretched to the shape of its box, which gives the (wide) names room.
  var ringed = data.radius === 1 || data.nodes.length > 60;
  var layout = cy.layout(ringed ? { name: "concentric", animate: false, fit: false, avoidOverlap: true,
    minNodeSpacing: 16, startAngle: Math.PI, clockwise: true,
    concentric: function (n) { return n.data("root") ? 10 : 10 - 3 * n.data("distance"); },
    levelWidth: function () { return 1; } }
    : { name: "cose", animate: false, fit: false, randomize: true, idealEdgeLength: 90, nodeRepulsion: 20000,
      nodeOverlap: 20, componentSpacing: 60 });
  // A small graph is spread until its closest nodes are SPREAD apart, so that names fit between them (a big one is
  // scaled back down by fit() anyway).
  function spread() {
    var ps = cy.nodes().map(function (n) { return n.position(); }), closest = Infinity;
    for (var i = 0; i < ps.length; i++) {
      for (var j = i + 1; j < ps.length; j++) {
        closest = Math.min(closest, Math.hypot(ps[i].x - ps[j].x, ps[i].y - ps[j].y));
      }
    }
    if (!isFinite(closest) || closest <= 0 || closest >= SPREAD) { return; }
    var k = Math.min(SPREAD / closest, 4), c = cy.nodes().boundingBox({ includeLabels: false });
    var mx = (c.x1 + c.x2) / 2, my = (c.y1 + c.y2) / 2;
    cy.nodes().positions(function (n) { var p = n.position(); return { x: mx + (p.x - mx) * k, y: my + (p.y - my) * k }; });
  }
  function stretch() {
    var bb = cy.nodes().boundingBox({ includeLabels: false }), want = box.clientWidth / box.clientHeight;
    if (bb.w < 1 || bb.h < 1 || !want) { return; }
    var have = bb.w / bb.h, sx = have < want ? Math.min(want / have, 3) : 1, sy = have > want ? Math.min(have / want, 3) : 1;
    var mx = (bb.x1 + bb.x2) / 2, my = (bb.y1 + bb.y2) / 2;
    cy.nodes().positions(function (n) { var p = n.position(); return { x: mx + (p.x - mx) * sx, y: my + (p.y - my) * sy }; });
  }
  // Fit the nodes with room on each side for a name under the outermost ones; a handful of nodes is not blown up
  // to fill the box (START_ZOOM).
  function fit() {
    var bb = cy.nodes().boundingBox({ includeLabels: false });
    var w = box.clientWidth - LABEL_WIDTH_PX - 16, h = box.clientHeight - 2 * (LABEL_PX + 20);
    var z = Math.min(w / Math.max(bb.w, 1), h / Math.max(bb.h, 1), START_ZOOM);
    cy.zoom(Math.max(MIN_ZOOM, z));
    cy.center();
  }
  layout.one("layoutstop", function () {
    spread();
    stretch();
    fit();
    placeLabels();
    box.dataset.ready = "yes";
  });
  layout.run();
}());
