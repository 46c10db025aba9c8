// The creator's widget pages: copy the snippet, the live preview, the analytics chart (uPlot,
// vendored in static/vendor/). The preview gets the form's values by postMessage and shows them
// as text (static/widgets/widget.js, preview mode).
(function () {
  "use strict";

  var copy = document.getElementById("copy-snippet");
  if (copy) {
    copy.addEventListener("click", function () {
      var snippet = document.getElementById("snippet");
      var status = document.getElementById("copy-status");
      var done = function () { status.textContent = "Copied."; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(snippet.value).then(done, function () { snippet.select(); status.textContent = "Press Ctrl+C to copy."; });
      } else {
        snippet.select();
        status.textContent = document.execCommand("copy") ? "Copied." : "Press Ctrl+C to copy.";
      }
    });
  }

  var form = document.getElementById("widget-form");
  var preview = document.getElementById("preview-frame");
  if (form && preview) {
    var field = function (name) { return form.elements[name]; };
    var send = function () {
      preview.contentWindow.postMessage({
        type: "yoppy:preview",
        looks: {
          colour: field("colour").value,
          greeting: field("greeting").value,
          starters: field("starters_text").value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean),
        },
      }, location.origin);
    };
    form.addEventListener("input", send);
    preview.addEventListener("load", send);
  }

  var chartData = document.getElementById("chart-data");
  var chart = document.getElementById("chart");
  if (chartData && chart && window.uPlot) {
    var data = JSON.parse(chartData.textContent);
    var xs = data.days.map(function (day) { return Date.parse(day + "T00:00:00Z") / 1000; });
    var names = ["loads", "opens", "conversations", "questions", "unanswered"];
    var colours = ["#6d28d9", "#0e7490", "#15803d", "#b45309", "#b91c1c"];
    var draw = function () {
      chart.replaceChildren();
      new window.uPlot({
        width: Math.max(280, chart.clientWidth),
        height: 260,
        series: [{}].concat(names.map(function (name, i) {
          return { label: name.charAt(0).toUpperCase() + name.slice(1), stroke: colours[i], width: 2 };
        })),
        axes: [{}, { size: 50 }],
        scales: { x: { time: true } },
      }, [xs].concat(names.map(function (name) { return data.series[name]; })), chart);
    };
    draw();
    window.addEventListener("resize", draw);
  }
})();
