// The heatmap page: colours each element of the diagram by the median time spent there and puts
// a badge on it with the number of cases that passed and that median.
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box) { return; }
  var heat = JSON.parse(box.getAttribute("data-heat") || "{}");
  window.anjieDiagram.open(box, function (viewer) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    var slowest = null;
    Object.keys(heat).forEach(function (id) {
      var el = registry.get(id);
      if (!el) { return; }
      var h = heat[id];
      if (h.level !== null) { canvas.addMarker(id, "anjie-heat-" + h.level); }
      var badge = document.createElement("div");
      badge.className = "heat-badge";
      badge.setAttribute("data-element", id);
      badge.textContent = h.instances + " " + box.getAttribute("data-label-cases") +
        (h.level ? " · " + box.getAttribute("data-label-median") + " " + h.median : "");
      overlays.add(id, { position: { bottom: 2, left: 0 }, html: badge });
      // The focus is on the picture shown first: a stage of the top level, not a step inside one.
      var shown = !canvas.findRoot || canvas.findRoot(el) === canvas.getRootElement();
      if (shown && (!slowest || (h.level || 0) > (heat[slowest.id].level || 0))) { slowest = el; }
    });
    window.anjieDiagram.readable(canvas, slowest);
  });
})();
