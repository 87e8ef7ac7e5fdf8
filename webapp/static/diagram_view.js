// What the case page, the audit page and the heatmap share: open a diagram in the bpmn-js viewer
// (or say why not), and show it readably: whole when that stays readable, else a readable zoom
// centred on the element the reader is looking for.
(function () {
  "use strict";

  function centre(canvas, el) {
    var vb = canvas.viewbox();
    canvas.viewbox({ x: el.x + el.width / 2 - vb.width / 2, y: el.y + el.height / 2 - vb.height / 2,
                     width: vb.width, height: vb.height });
  }

  // `ready(viewer)` runs once the diagram is drawn; the box's data-state says rendered,
  // unavailable (no bpmn-js: `npm ci`) or error, and its .noscript note goes once drawn.
  function open(box, ready) {
    if (typeof window.BpmnJS !== "function") {
      box.setAttribute("data-state", "unavailable");
      var missing = box.querySelector(".noscript");
      if (missing) { missing.textContent = box.getAttribute("data-missing") || "bpmn-js is not installed (npm ci)."; }
      return;
    }
    var viewer = new window.BpmnJS({ container: box });
    fetch(box.getAttribute("data-xml-url"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        ready(viewer);
        var note = box.querySelector(".noscript");
        if (note) { note.remove(); }
        box.setAttribute("data-state", "rendered");
      })
      .catch(function (err) {
        box.setAttribute("data-state", "error");
        box.textContent = String(err);
      });
  }

  // Fit the whole diagram; when that makes shapes too small to read and there is a `focus`
  // element, show it at a readable zoom instead (the reader drags to pan).
  function readable(canvas, focus) {
    canvas.zoom("fit-viewport");
    if (canvas.zoom() < 0.6 && focus) {
      canvas.zoom(0.9);
      centre(canvas, focus);
    }
  }

  window.anjieDiagram = { open: open, readable: readable, centre: centre };
})();
