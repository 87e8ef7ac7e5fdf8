// The heatmap page: colours each element of the diagram by the median time spent there and puts
// a badge on it with the number of cases that passed and that median.
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box) { return; }
  if (typeof window.BpmnJS !== "function") {
    box.setAttribute("data-state", "unavailable");
    box.querySelector(".noscript").textContent = "bpmn-js is not installed (npm ci).";
    return;
  }
  var heat = JSON.parse(box.getAttribute("data-heat") || "{}");
  var viewer = new window.BpmnJS({ container: box });
  fetch(box.getAttribute("data-xml-url"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
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
        if (!slowest || (h.level || 0) > (heat[slowest.id].level || 0)) { slowest = el; }
      });
      canvas.zoom("fit-viewport");
      if (canvas.zoom() < 0.6 && slowest) {
        canvas.zoom(0.9);
        var vb = canvas.viewbox();
        canvas.viewbox({ x: slowest.x + slowest.width / 2 - vb.width / 2, y: slowest.y + slowest.height / 2 - vb.height / 2,
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
