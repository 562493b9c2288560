// Console behaviour that needs script: charts (data from a JSON <script> block or a data
// attribute, never inline code, so the page can forbid inline scripts) and confirmation of
// destructive buttons.
"use strict";

// An ECharts chart the way every console chart looks: no animation, a shared axis tooltip,
// the legend on top, redrawn when the window is resized.
function drawChart(element, option) {
  const chart = echarts.init(element, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    ...option,
  });
  const onResize = () => (chart.isDisposed() ? window.removeEventListener("resize", onResize) : chart.resize());
  window.addEventListener("resize", onResize);
}

function drawMealsChart(element) {
  const data = JSON.parse(document.getElementById("meals-data").textContent);
  drawChart(element, {
    color: ["#f2a03d", "#1f5fbf", "#16845b"],
    grid: { left: 40, right: 16, top: 36, bottom: 24 },
    xAxis: { type: "category", data: data.canteens },
    yAxis: { type: "value", name: "人次", minInterval: 1 },
    series: data.series.map((s) => ({ name: s.name, type: "bar", stack: "meals", data: s.meals, barMaxWidth: 48 })),
  });
}

// Repairs by group: report and closed counts as bars, mean working hours to resolve as a line.
function drawRepairsStatsChart(element) {
  const data = JSON.parse(element.dataset.series);
  const many = data.names.length > 6;
  drawChart(element, {
    color: ["#1f5fbf", "#16845b", "#f2a03d"],
    grid: { left: 48, right: 56, top: 40, bottom: many ? 64 : 28 },
    xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: many ? 30 : 0 } },
    yAxis: [
      { type: "value", name: "张", minInterval: 1 },
      { type: "value", name: "小时", splitLine: { show: false } },
    ],
    series: [
      { name: "报修数", type: "bar", data: data.reports, barMaxWidth: 36 },
      { name: "已完结", type: "bar", data: data.closed, barMaxWidth: 36 },
      { name: "平均修复（小时）", type: "line", yAxisIndex: 1, data: data.resolve_avg, connectNulls: true },
    ],
  });
}

// The charts inside `root`: the whole page when it loads, a region a refresh swapped in later.
function drawCharts(root) {
  root.querySelectorAll("[data-chart=meals]").forEach(drawMealsChart);
  root.querySelectorAll("[data-chart=repairs-stats]").forEach(drawRepairsStatsChart);
}

document.addEventListener("console:refreshed", (event) => drawCharts(event.target));
document.addEventListener("console:replacing", (event) => {
  event.target.querySelectorAll("[data-chart]").forEach((element) => echarts.getInstanceByDom(element)?.dispose());
});

document.addEventListener("DOMContentLoaded", () => {
  drawCharts(document);
  document.body.addEventListener("submit", (event) => {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
});
