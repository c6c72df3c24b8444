// Charts drawn from JSON in data attributes (no inline scripts: the CSP allows only 'self').
// Generic: <canvas class="js-chart" data-chart-type="bar|line"
//                  data-chart='{"labels": [...], "stacked": true, "datasets": [{"label": "...", "data": [...], "color": "#198754"}]}'>
// (series labels are translated server-side). Every drawn canvas gets data-drawn="1".
// <canvas class="js-progress-chart" data-chart='{"labels": [...], "absences": [...], "ratings": [...]}'
//         data-label-absences="..." data-label-rating="..." data-rating-names='["Sa sút","Giữ vững","Tiến bộ"]'>
(function () {
  if (typeof Chart === "undefined") { return; }
  function drawProgress(canvas) {
    var data = JSON.parse(canvas.getAttribute("data-chart"));
    var names = JSON.parse(canvas.getAttribute("data-rating-names") || "[]");
    new Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "bar", label: canvas.getAttribute("data-label-absences"), data: data.absences,
            yAxisID: "y", backgroundColor: "rgba(220, 53, 69, 0.45)" },
          { type: "line", label: canvas.getAttribute("data-label-rating"), data: data.ratings,
            yAxisID: "y1", borderColor: "#0d6efd", backgroundColor: "#0d6efd", spanGaps: true, tension: 0 }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          y: { beginAtZero: true, position: "left", ticks: { precision: 0 } },
          y1: { min: -1, max: 1, position: "right", grid: { drawOnChartArea: false },
                ticks: { stepSize: 1, callback: function (v) { return names[v + 1] || ""; } } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
    canvas.setAttribute("data-drawn", "1");
  }
  function drawGeneric(canvas) {
    var data = JSON.parse(canvas.getAttribute("data-chart"));
    var type = canvas.getAttribute("data-chart-type") === "line" ? "line" : "bar";
    var stacked = !!data.stacked;
    new Chart(canvas, {
      type: type,
      data: {
        labels: data.labels,
        datasets: (data.datasets || []).map(function (d) {
          return { label: d.label, data: d.data, backgroundColor: d.color, borderColor: d.color,
                   tension: 0, fill: false };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
    canvas.setAttribute("data-drawn", "1");
  }
  document.querySelectorAll("canvas.js-progress-chart").forEach(drawProgress);
  document.querySelectorAll("canvas.js-chart").forEach(drawGeneric);
})();
