// Draws the leaderboard's two charts from the JSON the page embeds (no network needed).
(function () {
  const script = document.currentScript;
  const colours = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997"];
  function data(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  const collection = data("collection-data");
  const clearance = data("clearance-data");
  if (!window.Chart || !collection || !clearance) return;
  new Chart(document.getElementById("collection-chart"), {
    type: "line",
    data: {
      labels: collection.labels,
      datasets: collection.series.map((s, i) => ({
        label: s.label, data: s.data, borderColor: colours[i % colours.length], tension: 0.1, pointRadius: 0,
      })),
    },
    options: { animation: false, scales: { y: { beginAtZero: true, ticks: { callback: (v) => "¥" + v.toLocaleString() } } } },
  });
  const minimum = clearance.labels.map(() => clearance.minimum);
  new Chart(document.getElementById("clearance-chart"), {
    data: {
      labels: clearance.labels,
      datasets: clearance.series.map((s, i) => ({
        type: "bar", label: s.label, data: s.data, backgroundColor: colours[i % colours.length],
      })).concat([{
        type: "line", label: script.dataset.minimumLabel, data: minimum, borderColor: "#dc3545", borderDash: [6, 4],
        // With one month there is no line to draw: a wide dash marks the minimum instead.
        pointStyle: "line", pointRadius: minimum.length < 2 ? 40 : 0, pointBorderWidth: 2,
      }]),
    },
    options: {
      animation: false,
      // Leave room above the minimum so its line is never hidden on the chart's edge.
      scales: { y: { beginAtZero: true, suggestedMax: clearance.minimum + 1, ticks: { precision: 0 } } },
    },
  });
})();
