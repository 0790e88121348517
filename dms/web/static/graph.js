// Draws the graph of links around a node with Cytoscape (served from /static/vendor), from the JSON in the
// page. Clicking a node opens its page. Without JavaScript the page still lists every link.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  if (!box || typeof cytoscape !== "function") { return; }
  var data = JSON.parse(document.getElementById(box.dataset.source).textContent);
  var colours = { document: "#1f5fbf", change_request: "#c0392b", product: "#27ae60", party: "#8e44ad" };
  var cy = cytoscape({
    container: box,
    elements: { nodes: data.nodes, edges: data.edges },
    style: [
      { selector: "node", style: { "label": "data(label)", "font-size": 9, "text-wrap": "ellipsis", "text-max-width": 120,
        "background-color": function (n) { return colours[n.data("kind")] || "#7f8c8d"; }, "width": 14, "height": 14,
        "color": "#1d2330", "text-valign": "bottom", "text-margin-y": 3 } },
      { selector: "node[?root]", style: { "width": 24, "height": 24, "border-width": 3, "border-color": "#f1c40f" } },
      { selector: "edge", style: { "width": 1.2, "line-color": "#b8c0cc", "target-arrow-color": "#b8c0cc",
        "target-arrow-shape": "triangle", "curve-style": "bezier", "label": "data(type)", "font-size": 7,
        "color": "#5b6475", "text-rotation": "autorotate" } }
    ],
    layout: { name: data.nodes.length > 60 ? "concentric" : "cose", animate: false, idealEdgeLength: 110,
      nodeRepulsion: 12000, padding: 30,
      concentric: function (n) { return n.data("root") ? 10 : (n.data("kind") === "document" ? 1 : 5); } }
  });
  cy.on("tap", "node", function (evt) { var url = evt.target.data("url"); if (url) { window.location.href = url; } });
  cy.on("mouseover", "edge", function (evt) { box.title = evt.target.data("type") + ": " + evt.target.data("evidence"); });
  box.dataset.ready = "yes";
}());
