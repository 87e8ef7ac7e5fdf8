// Draws the case's BPMN diagram with bpmn-js and marks done, active and waiting elements.
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box) { return; }
  if (typeof window.BpmnJS !== "function") {
    box.setAttribute("data-state", "unavailable");
    box.querySelector(".noscript").textContent = box.getAttribute("data-missing") || "bpmn-js is not installed (npm ci).";
    return;
  }
  var markers = JSON.parse(box.getAttribute("data-markers") || "{}");
  var viewer = new window.BpmnJS({ container: box });
  fetch(box.getAttribute("data-xml-url"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      var kinds = { completed: "anjie-done", active: "anjie-active", waiting: "anjie-waiting" };
      Object.keys(kinds).forEach(function (kind) {
        (markers[kind] || []).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, kinds[kind]); }
        });
      });
      canvas.zoom("fit-viewport");
      // The petition case is a large diagram: when fitting it whole makes the shapes too
      // small to read, show the first active step at a readable zoom instead (drag to pan).
      var root = canvas.getRootElement();
      // People's tasks first: they are what the reader is looking for.
      var isTask = function (el) { return /Task$/.test(el.type); };
      var active = (markers.active || []).map(function (id) { return registry.get(id); })
        .filter(function (el) { return el && (!canvas.findRoot || canvas.findRoot(el) === root); })
        .sort(function (a, b) { return (isTask(a) ? 0 : 1) - (isTask(b) ? 0 : 1); });
      if (canvas.zoom() < 0.6 && active.length) {
        var el = active[0];
        canvas.zoom(0.9);
        var vb = canvas.viewbox();
        canvas.viewbox({ x: el.x + el.width / 2 - vb.width / 2, y: el.y + el.height / 2 - vb.height / 2,
                         width: vb.width, height: vb.height });
      }
      var note = box.querySelector(".noscript");
      if (note) { note.remove(); }
      box.setAttribute("data-state", "rendered");
    })
    .catch(function (err) {
      box.setAttribute("data-state", "error");
      box.textContent = String(err);
    });
})();
