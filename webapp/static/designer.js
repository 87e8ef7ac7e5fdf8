// The designer's pages: the modeler (save draft, download, check, deploy), the DMN test box,
// the diff drawn on the diagram, and the bulk move with its progress bar. Static on purpose:
// no inline scripts, so a Content-Security-Policy without 'unsafe-inline' serves these pages.
(function () {
  "use strict";

  // When none of `ids` is drawn in the picture shown, show the picture (plane) of the first one:
  // a step inside a stage is drawn in the stage's plane, not at the top level.
  function showPlaneOf(canvas, registry, ids) {
    if (!canvas.findRoot) { return; }
    var found = ids.map(function (id) { return registry.get(id); }).filter(Boolean);
    var root = canvas.getRootElement();
    if (!found.length || found.some(function (el) { return canvas.findRoot(el) === root; })) { return; }
    canvas.setRootElement(canvas.findRoot(found[0]));
  }

  function postJSON(url, csrf, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    });
  }

  function missing(box) {
    box.setAttribute("data-state", "unavailable");
    box.textContent = box.getAttribute("data-missing") || "The designer is not installed (npm ci).";
  }

  // -- the modeler -------------------------------------------------------------
  var box = document.getElementById("designer");
  if (box) {
    if (!window.AnjieDesigner) { missing(box); return; }
    var kind = box.getAttribute("data-kind");
    var canvasBox = document.getElementById("designer-canvas");
    var statusBox = document.getElementById("designer-status");
    var problemsBox = document.getElementById("designer-problems");
    var csrf = box.getAttribute("data-csrf");
    var draftId = box.getAttribute("data-draft-id") ? Number(box.getAttribute("data-draft-id")) : null;
    var editor = kind === "dmn"
      ? window.AnjieDesigner.decisions(canvasBox)
      : window.AnjieDesigner.modeler(canvasBox, document.getElementById("designer-panel"));
    var marked = [];

    var say = function (text) { statusBox.textContent = text; };
    var canvas = function () {
      var viewer = kind === "dmn" ? editor.getActiveViewer() : editor;
      return viewer && viewer.get ? viewer : null;
    };
    var showProblems = function (problems) {
      problemsBox.textContent = "";
      var viewer = canvas();
      marked.forEach(function (id) { try { viewer.get("canvas").removeMarker(id, "anjie-problem"); } catch (e) { /* gone */ } });
      marked = [];
      (problems || []).forEach(function (p) {
        var li = document.createElement("li");
        li.textContent = (p.element_id ? p.element_id + ": " : "") + p.message;
        if (p.element_id) { li.setAttribute("data-element-id", p.element_id); }
        problemsBox.appendChild(li);
        if (viewer && p.element_id && kind !== "dmn" && viewer.get("elementRegistry").get(p.element_id)) {
          viewer.get("canvas").addMarker(p.element_id, "anjie-problem");
          marked.push(p.element_id);
        }
      });
      if (viewer && marked.length) { showPlaneOf(viewer.get("canvas"), viewer.get("elementRegistry"), marked); }
    };
    var xml = function () { return editor.saveXML({ format: true }).then(function (r) { return r.xml; }); };

    fetch(box.getAttribute("data-xml-url"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (text) { return editor.importXML(text); })
      .then(function () {
        var note = canvasBox.querySelector(".noscript");
        if (note) { note.remove(); }
        if (kind !== "dmn") { editor.get("canvas").zoom("fit-viewport"); }
        box.setAttribute("data-state", "ready");
        window.anjieModeler = editor;  // for people and browser tests poking at the diagram
      })
      .catch(function (err) { box.setAttribute("data-state", "error"); say(String(err)); });

    var on = function (id, handler) { var el = document.getElementById(id); if (el) { el.addEventListener("click", handler); } };
    on("designer-save", function () {
      say(box.getAttribute("data-msg-saving"));
      xml().then(function (text) {
        return postJSON(box.getAttribute("data-save-url"), csrf, {
          xml: text, name: box.getAttribute("data-name"), draft_id: draftId,
          process_key: box.getAttribute("data-process-key") || null,
          base_version: box.getAttribute("data-base-version") ? Number(box.getAttribute("data-base-version")) : null,
        });
      }).then(function (res) {
        if (res.ok) { draftId = res.data.id; box.setAttribute("data-draft-id", String(draftId)); }
        say(res.data.message || ("HTTP " + res.status));
        showProblems(res.data.problems);
      });
    });
    on("designer-download", function () {
      xml().then(function (text) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(new Blob([text], { type: "application/xml" }));
        link.download = box.getAttribute("data-name") || "diagram.bpmn";
        document.body.appendChild(link);
        link.click();
        link.remove();
      });
    });
    on("designer-check", function () {
      xml().then(function (text) { return postJSON(box.getAttribute("data-check-url"), csrf, { xml: text }); })
        .then(function (res) {
          say(res.data.ok ? box.getAttribute("data-msg-ok") : box.getAttribute("data-msg-problems"));
          box.setAttribute("data-checked", res.data.ok ? "ok" : "problems");
          showProblems(res.data.problems);
        });
    });
    on("designer-deploy", function () {
      var note = document.getElementById("designer-note").value.trim();
      if (!note) { say(box.getAttribute("data-msg-note")); return; }
      xml().then(function (text) { return postJSON(box.getAttribute("data-deploy-url"), csrf, { xml: text, note: note }); })
        .then(function (res) {
          say(res.data.message || ("HTTP " + res.status));
          showProblems(res.data.problems);
          if (res.ok && res.data.deployed && res.data.deployed.length) {
            var d = res.data.deployed[0];
            box.setAttribute("data-deployed", d.process_key + ":" + d.version);
            window.location.href = box.getAttribute("data-versions-url").replace("KEY", encodeURIComponent(d.process_key));
          }
        });
    });

    var test = document.getElementById("dmn-test");
    if (test) {
      test.addEventListener("submit", function (event) {
        event.preventDefault();
        var out = document.getElementById("dmn-test-result");
        var inputs;
        try { inputs = JSON.parse(document.getElementById("dmn-test-inputs").value || "{}"); } catch (e) { out.textContent = String(e); return; }
        xml().then(function (text) { return postJSON(test.getAttribute("data-url"), csrf, { xml: text, inputs: inputs }); })
          .then(function (res) {
            out.textContent = res.ok
              ? JSON.stringify({ rules: res.data.rule_ids, outputs: res.data.outputs }, null, 2)
              : (res.data.message || "") + " " + (res.data.problems || []).map(function (p) { return p.message; }).join("; ");
            out.setAttribute("data-outputs", res.ok ? JSON.stringify(res.data.outputs) : "");
          });
      });
    }
  }

  // -- a diff drawn on the newer diagram -------------------------------------------
  var diffBox = document.getElementById("diff-canvas");
  if (diffBox) {
    if (!window.AnjieDesigner) { missing(diffBox); return; }
    var diff = JSON.parse(diffBox.getAttribute("data-diff") || "{}");
    var viewer = window.AnjieDesigner.viewer(diffBox);
    fetch(diffBox.getAttribute("data-xml-url"), { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (text) { return viewer.importXML(text); })
      .then(function () {
        var c = viewer.get("canvas"), registry = viewer.get("elementRegistry");
        [["added", "anjie-added"], ["changed", "anjie-changed"]].forEach(function (pair) {
          (diff[pair[0]] || []).forEach(function (e) { if (registry.get(e.element_id)) { c.addMarker(e.element_id, pair[1]); } });
        });
        // A change inside a stage (a collapsed sub-process) is shown in the stage's own picture.
        showPlaneOf(c, registry, [].concat(diff.added || [], diff.changed || []).map(function (e) { return e.element_id; }));
        c.zoom("fit-viewport");
        diffBox.setAttribute("data-state", "rendered");
      });
  }

  // -- the bulk move, a batch at a time -----------------------------------------------
  var bulk = document.getElementById("bulk-migrate");
  if (bulk) {
    document.getElementById("migrate-start").addEventListener("click", function () {
      var from = Number(bulk.querySelector("select[name=from]").value);
      var to = Number(bulk.querySelector("select[name=to]").value);
      var bar = document.getElementById("migrate-progress");
      var result = document.getElementById("migrate-result");
      var refusedList = document.getElementById("migrate-refused");
      var moved = 0, refused = 0;
      refusedList.textContent = "";
      fetch(bulk.getAttribute("data-ids-url") + "?version=" + from, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (ids) {
          bar.hidden = false; bar.max = Math.max(ids.length, 1); bar.value = 0;
          var next = function (start) {
            if (start >= ids.length) {
              result.textContent = bulk.getAttribute("data-done").replace("{moved}", moved).replace("{refused}", refused);
              bulk.setAttribute("data-state", "done");
              return null;
            }
            return postJSON(bulk.getAttribute("data-url"), bulk.getAttribute("data-csrf"),
                            { from_version: from, to_version: to, instance_ids: ids.slice(start, start + 50) })
              .then(function (res) {
                moved += (res.data.moved || []).length;
                (res.data.refused || []).forEach(function (r) {
                  refused += 1;
                  var li = document.createElement("li");
                  li.textContent = "#" + r.instance_id + ": " + r.problems.map(function (p) { return p.text || p.message; }).join("; ");
                  refusedList.appendChild(li);
                });
                bar.value = Math.min(start + 50, ids.length);
                return next(start + 50);
              });
          };
          return next(0);
        });
    });
  }
})();
