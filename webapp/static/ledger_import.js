// The ledger import's progress bar: asks the server how far the import got, twice a second,
// until it is done or failed (without JavaScript the page refreshes itself).
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box || box.getAttribute("data-status") !== "running") { return; }
  var bar = document.getElementById("import-progress");
  var count = document.getElementById("import-count");
  var state = document.getElementById("import-state");
  var result = document.getElementById("import-result");
  function show(job) {
    bar.max = job.total || 1;
    bar.value = job.done;
    count.textContent = job.done + " / " + job.total;
    box.setAttribute("data-status", job.status);
    if (job.status === "running") { return false; }
    state.textContent = state.getAttribute(job.status === "done" ? "data-done" : "data-failed");
    if (job.status === "done") {
      result.textContent = result.getAttribute("data-template")
        .replace("{imported}", job.report.imported).replace("{skipped}", job.report.skipped);
      result.hidden = false;
    } else if (job.error) {
      state.textContent += " " + job.error;
    }
    return true;
  }
  function poll() {
    fetch(box.getAttribute("data-status-url"), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) { if (!show(job)) { setTimeout(poll, 500); } })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
