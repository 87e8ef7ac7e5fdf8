// The audit page: draws the case's diagram once, then marks it as it stood after the chosen step
// (done, active, waiting, cancelled). The step links, the slider and the keys ←/→/Home/End load
// the step panel from the server (the same replay the plain links show) without a page load.
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  var panel = document.getElementById("audit-state");
  if (!box || !panel) { return; }
  var KINDS = { completed: "anjie-done", active: "anjie-active", waiting: "anjie-waiting",
                cancelled: "anjie-cancelled" };
  var canvas = null, registry = null, marked = [], wanted = null;

  function stepBox() { return panel.querySelector("#audit-step"); }
  function stepOf(name) { return parseInt(stepBox().getAttribute(name), 10) || 0; }
  function markers() { return JSON.parse(stepBox().getAttribute("data-markers") || "{}"); }

  function mark() {
    box.setAttribute("data-step", String(stepOf("data-step")));
    if (!canvas) { return; }
    marked.forEach(function (m) { canvas.removeMarker(m[0], m[1]); });
    marked = [];
    var m = markers();
    Object.keys(KINDS).forEach(function (kind) {
      (m[kind] || []).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, KINDS[kind]); marked.push([id, KINDS[kind]]); }
      });
    });
  }

  // What the reader looks for at a step: the active people's tasks first, then other active or
  // waiting elements, then the element of the step's event.
  function focusElement() {
    var m = markers();
    var root = canvas.getRootElement();
    var isTask = function (el) { return /Task$/.test(el.type); };
    var ids = [].concat(m.active || [], m.waiting || [], [stepBox().getAttribute("data-element")]);
    var found = ids.map(function (id) { return id ? registry.get(id) : null; })
      .filter(function (el) { return el && (!canvas.findRoot || canvas.findRoot(el) === root); });
    var tasks = found.filter(isTask);
    return tasks[0] || found[0] || null;
  }

  function inView(el) {
    var vb = canvas.viewbox();
    return el.x >= vb.x && el.y >= vb.y && el.x + el.width <= vb.x + vb.width && el.y + el.height <= vb.y + vb.height;
  }

  function centre(el) { window.anjieDiagram.centre(canvas, el); }

  // Fit the whole diagram when it stays readable; otherwise a readable zoom on the focus.
  function fit() {
    canvas.zoom("fit-viewport");
    var el = focusElement();
    if (canvas.zoom() < 0.6) {
      canvas.zoom(0.9);
      if (el) { centre(el); }
    }
  }

  function keepInView() {
    var el = focusElement();
    if (el && !inView(el)) { centre(el); }
  }

  function highlight(step) {
    Array.prototype.forEach.call(document.querySelectorAll("tr.current"), function (row) {
      row.classList.remove("current");
      row.removeAttribute("aria-current");
    });
    var row = document.getElementById("event-" + step);
    if (row) { row.classList.add("current"); row.setAttribute("aria-current", "step"); }
    var hidden = document.querySelector("form.filters input[name=step]");
    if (hidden) { hidden.value = String(step); }
  }

  function go(step) {
    var last = stepOf("data-last");
    step = Math.max(1, Math.min(last, step));
    if (!last || step === stepOf("data-step")) { return; }
    var here = new URL(window.location.href);
    var url = new URL(box.getAttribute("data-state-url"), here);
    ["type", "actor"].forEach(function (k) { if (here.searchParams.get(k)) { url.searchParams.set(k, here.searchParams.get(k)); } });
    url.searchParams.set("step", String(step));
    here.searchParams.set("step", String(step));
    wanted = step;
    var sliderHadFocus = document.activeElement && document.activeElement.id === "step-slider";
    box.setAttribute("data-loading", "true");
    fetch(url.toString(), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (html) {
        if (wanted !== step) { return; }  // a later step was asked for meanwhile
        panel.innerHTML = html;
        mark();
        if (canvas) { keepInView(); }
        highlight(step);
        window.history.replaceState(null, "", here.toString());
        if (sliderHadFocus) { document.getElementById("step-slider").focus(); }
        box.removeAttribute("data-loading");
      })
      .catch(function () { window.location.href = here.toString(); });  // the plain link still works
  }

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest ? ev.target.closest("a[data-step]") : null;
    if (!link || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) { return; }
    ev.preventDefault();
    go(parseInt(link.getAttribute("data-step"), 10));
  });
  panel.addEventListener("submit", function (ev) {
    ev.preventDefault();
    go(parseInt(document.getElementById("step-slider").value, 10));
  });
  panel.addEventListener("change", function (ev) {
    if (ev.target.id === "step-slider") { go(parseInt(ev.target.value, 10)); }
  });
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    var typing = t && (t.isContentEditable || /^(TEXTAREA|SELECT)$/.test(t.tagName) ||
                       (t.tagName === "INPUT" && t.type !== "range"));
    if (typing || ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    var moves = { ArrowLeft: stepOf("data-step") - 1, ArrowRight: stepOf("data-step") + 1,
                  Home: 1, End: stepOf("data-last") };
    if (!(ev.key in moves)) { return; }
    ev.preventDefault();
    go(moves[ev.key]);
  });

  mark();
  window.anjieDiagram.open(box, function (viewer) {
    canvas = viewer.get("canvas");
    registry = viewer.get("elementRegistry");
    mark();
    fit();
  });
})();
