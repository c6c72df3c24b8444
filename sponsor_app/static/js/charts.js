// Charts drawn from JSON in data attributes (no inline scripts: the CSP allows only 'self').
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
  document.querySelectorAll("canvas.js-progress-chart").forEach(drawProgress);
})();
