// Draws the case's BPMN diagram with bpmn-js and marks done, active and waiting elements.
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box) { return; }
  var markers = JSON.parse(box.getAttribute("data-markers") || "{}");
  window.anjieDiagram.open(box, function (viewer) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var kinds = { completed: "anjie-done", active: "anjie-active", waiting: "anjie-waiting" };
    Object.keys(kinds).forEach(function (kind) {
      (markers[kind] || []).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, kinds[kind]); }
      });
    });
    // The petition case is a large diagram: when fitting it whole makes the shapes too
    // small to read, show the first active step at a readable zoom instead (drag to pan).
    // People's tasks first: they are what the reader is looking for.
    var root = canvas.getRootElement();
    var isTask = function (el) { return /Task$/.test(el.type); };
    var active = (markers.active || []).map(function (id) { return registry.get(id); })
      .filter(function (el) { return el && (!canvas.findRoot || canvas.findRoot(el) === root); })
      .sort(function (a, b) { return (isTask(a) ? 0 : 1) - (isTask(b) ? 0 : 1); });
    window.anjieDiagram.readable(canvas, active[0] || null);
  });
})();
