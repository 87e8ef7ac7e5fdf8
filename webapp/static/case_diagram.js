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
      var note = box.querySelector(".noscript");
      if (note) { note.remove(); }
      box.setAttribute("data-state", "rendered");
    })
    .catch(function (err) {
      box.setAttribute("data-state", "error");
      box.textContent = String(err);
    });
})();
