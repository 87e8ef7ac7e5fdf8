// The dashboard: draws each chart with ECharts from the figures the page carries (the same
// figures as its tables, which stay on the page for screen readers and for printing).
(function () {
  "use strict";
  var holder = document.getElementById("dashboard-data");
  if (!holder || !window.echarts) { return; }
  var data = JSON.parse(holder.getAttribute("data-charts") || "{}");
  var labels = data.labels || {};
  var drawn = [];

  // A table's row headings are the labels people read (Chinese codes resolved by the server).
  function rowsOf(tableId) {
    var table = document.getElementById(tableId);
    if (!table) { return []; }
    return Array.prototype.map.call(table.querySelectorAll("tbody tr"), function (tr) {
      var head = tr.querySelector("th");
      var cell = tr.querySelector("td");
      return head && cell ? { name: head.textContent.trim(), value: Number(cell.textContent) } : null;
    }).filter(Boolean);
  }

  function draw(id, option) {
    var box = document.getElementById(id);
    if (!box) { return; }
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(option);
    box.setAttribute("data-drawn", "1");
    drawn.push(chart);
  }

  function bars(id, rows) {
    draw(id, {
      animation: false, grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      tooltip: {}, xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.name; }) },
      series: [{ type: "bar", name: labels.cases, data: rows.map(function (r) { return r.value; }) }]
    });
  }

  var colours = { red: "#c0392b", yellow: "#e0a800", green: "#2e8b57" };
  var colourRows = rowsOf("table-colour");
  draw("chart-colour", {
    animation: false, tooltip: {},
    series: [{ type: "pie", radius: "70%", data: colourRows.map(function (r, i) {
      var key = (data.by_colour[i] || {}).key;
      return { name: r.name, value: r.value, itemStyle: colours[key] ? { color: colours[key] } : undefined };
    }) }]
  });
  ["class", "subject", "unit", "leader", "phase"].forEach(function (name) {
    bars("chart-" + name, rowsOf("table-" + name));
  });
  draw("chart-rates", {
    animation: false, grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true }, tooltip: {},
    xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    yAxis: { type: "category", inverse: true, data: data.rate_bars.map(function (r) { return r.name; }) },
    series: [{ type: "bar", data: data.rate_bars.map(function (r) { return r.percent; }) }]
  });
  draw("chart-weekly", {
    animation: false, tooltip: { trigger: "axis" },
    legend: { data: [labels.registered, labels.closed, labels.resolved] },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.weekly.map(function (w) { return w.week; }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { type: "line", name: labels.registered, data: data.weekly.map(function (w) { return w.registered; }) },
      { type: "line", name: labels.closed, data: data.weekly.map(function (w) { return w.closed; }) },
      { type: "line", name: labels.resolved, data: data.weekly.map(function (w) { return w.resolved; }) }
    ]
  });
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
})();
