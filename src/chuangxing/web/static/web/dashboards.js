/* 创星 dashboards: draw the charts of a page from its JSON endpoint (the same numbers as the tables). */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var RED = "#b3191d", GOLD = "#e0b44c", BLUE = "#2a4a7f";
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;

  function num(text) { return text === null || text === undefined ? null : Number(text); }
  function load(el, draw) {
    if (!el) { return; }
    fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { draw(data, el); el.dataset.drawn = "yes"; });
  }
  function canvas(id) { return document.getElementById(id); }

  function distribution(rows) {
    var el = canvas("chart-distribution");
    if (!el || !rows.length) { return; }
    var labels = rows.map(function (r) { return r.committee + "：" + r.level_label + "及以上"; });
    new Chart(el, {
      type: "bar",
      data: { labels: labels, datasets: [
        { label: "实际占比（%）", data: rows.map(function (r) { return num(r.share) * 100; }), backgroundColor: RED },
        { label: "目标占比（%）", data: rows.map(function (r) { return num(r.target) * 100; }), backgroundColor: GOLD }
      ] },
      options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: "%" } } } }
    });
  }

  function shortBoard(rows, drill) {
    var el = canvas("chart-short-board");
    var top = rows.filter(function (r) { return num(r.lost) > 0; }).slice(0, 15);
    if (!el || !top.length) { return; }
    new Chart(el, {
      type: "bar",
      data: { labels: top.map(function (r) { return r.title.length > 18 ? r.title.slice(0, 18) + "…" : r.title; }),
              datasets: [{ label: "平均失分（分/党支部）", data: top.map(function (r) { return num(r.average); }), backgroundColor: RED }] },
      options: {
        indexAxis: "y", maintainAspectRatio: false,
        onClick: function (event, items) {
          if (items.length) { window.location.href = drill.replace("INDICATOR", top[items[0].index].indicator); }
        }
      }
    });
  }

  function submissions(rows) {
    var el = canvas("chart-submissions");
    if (!el) { return; }
    new Chart(el, {
      data: { labels: rows.map(function (r) { return r.day; }), datasets: [
        { type: "bar", label: "当日提交", data: rows.map(function (r) { return r.count; }), backgroundColor: GOLD, yAxisID: "y" },
        { type: "line", label: "累计提交", data: rows.map(function (r) { return r.cumulative; }), borderColor: RED,
          backgroundColor: RED, yAxisID: "y" }
      ] },
      options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }

  load(document.getElementById("dashboard"), function (data, el) {
    distribution(data.distribution);
    shortBoard(data.short_board, el.dataset.drill);
    submissions(data.submissions);
  });

  load(document.getElementById("branch-dashboard"), function (data) {
    var radar = canvas("chart-radar");
    if (radar && data.categories.length) {
      new Chart(radar, {
        type: "radar",
        data: { labels: data.categories.map(function (c) { return c.title; }), datasets: [{
          label: "得分率（%）", backgroundColor: "rgba(179, 25, 29, 0.2)", borderColor: RED, pointBackgroundColor: RED,
          data: data.categories.map(function (c) { return num(c.max) ? num(c.score) * 100 / num(c.max) : 0; }) }] },
        options: { maintainAspectRatio: false, scales: { r: { min: 0, max: 100 } } }
      });
    }
    var hist = canvas("chart-history");
    if (hist && !data.history.length) { hist.parentNode.hidden = true; }
    if (hist && data.history.length) {
      new Chart(hist, {
        type: "line",
        data: { labels: data.history.map(function (h) { return h.cycle; }), datasets: [{
          label: "总分", data: data.history.map(function (h) { return num(h.total); }), borderColor: BLUE, backgroundColor: BLUE }] },
        options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true } } }
      });
    }
  });
})();
