// Console behaviour that needs script: charts (data from a JSON <script> block, never inline
// code, so the page can forbid inline scripts) and confirmation of destructive buttons.
"use strict";

function drawMealsChart(element) {
  const data = JSON.parse(document.getElementById("meals-data").textContent);
  const chart = echarts.init(element, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    color: ["#f2a03d", "#1f5fbf", "#16845b"],
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 24 },
    xAxis: { type: "category", data: data.canteens },
    yAxis: { type: "value", name: "人次", minInterval: 1 },
    series: data.series.map((s) => ({ name: s.name, type: "bar", stack: "meals", data: s.meals, barMaxWidth: 48 })),
  });
  window.addEventListener("resize", () => chart.resize());
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-chart=meals]").forEach(drawMealsChart);
  document.body.addEventListener("submit", (event) => {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
});
