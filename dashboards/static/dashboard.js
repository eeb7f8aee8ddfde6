/* 两新组织党建统计看板 — renders the embedded data (no network). Code in English, everything shown in Chinese.
 *
 * State (period, street, community) lives in the URL hash (#period=2021Q4&street=…&community=…), so a link
 * reproduces the view.  Every card, chart and table states the coverage of its period (已报 N/M) and marks an
 * incomplete period 不完整.  Narrow screens (phones, < 700 px) get horizontal bar charts, short axis labels and
 * legends above the plot area. */
(function () {
  "use strict";

  var errorsEl = document.getElementById("lx-errors");
  function reportError(msg) {
    errorsEl.hidden = false;
    errorsEl.textContent += msg + "\n";
    document.body.setAttribute("data-error", "1");
  }
  window.addEventListener("error", function (e) { reportError("页面脚本错误：" + (e.message || e)); });

  if (typeof Plotly === "undefined") { reportError("图表组件未能加载。"); return; }

  var D = JSON.parse(document.getElementById("lx-data").textContent);
  var IND = D.indicators, VAL = D.values, ENT = D.entities, META = D.meta, COV = D.coverage || {};
  var FONT = META.font;
  var DISTRICT = META.district_code;
  var PALETTE = ["#c0392b", "#2e86c1", "#e67e22", "#27ae60", "#8e44ad", "#16a085", "#d4ac0d", "#7f8c8d",
                 "#e84393", "#2c3e50", "#a04000", "#1abc9c"];
  var SERIES = ["#c0392b", "#e67e22", "#2e86c1", "#27ae60", "#8e44ad", "#7f8c8d"];
  var state = { period: META.default_period, street: "", community: "" };
  var NARROW = false;

  Plotly.register({
    moduleType: "locale", name: "zh-CN",
    dictionary: {
      "Download plot as a png": "下载为图片", "Download plot": "下载图片", "Reset axes": "重置坐标轴",
      "Autoscale": "自动缩放", "Zoom": "缩放", "Pan": "平移", "Zoom in": "放大", "Zoom out": "缩小",
      "Double-click to zoom back out": "双击恢复", "Reset": "重置", "Snapshot succeeded": "已保存图片",
      "Taking snapshot - this may take a few seconds": "正在生成图片，请稍候", "Error": "错误"
    }
  });
  var CONFIG = { displaylogo: false, responsive: true, locale: "zh-CN",
                 modeBarButtons: [["toImage", "resetScale2d"]],
                 toImageButtonOptions: { filename: "两新组织党建统计看板", scale: 2 } };

  // ---------------------------------------------------------------- helpers
  function esc(s) {
    return String(s == null ? "" : s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  function isNum(v) { return typeof v === "number" && isFinite(v); }
  function ind(id) { return IND[id] || { name: id, kind: "count", den_name: "", num_name: "", target: "—", quarterly: true, yearly: true }; }
  function known(id) { return !!IND[id]; }
  function fmt(v, kind, reason) {
    if (!isNum(v)) return reason || "—";
    if (kind === "ratio") return (v * 100).toFixed(1) + "%";
    if (kind === "mean") return v.toFixed(2);
    if (Number.isInteger(v)) return v.toLocaleString("zh-CN");
    return v.toLocaleString("zh-CN", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  }
  function fmtCell(r, kind) { return fmt(r ? r[0] : null, kind, r && r.length > 3 ? r[3] : null); }
  function fmtChange(delta, kind) {
    if (!isNum(delta)) return "—";
    var pts, body;
    if (kind === "ratio") { pts = Math.round(delta * 1000) / 10; body = Math.abs(pts).toFixed(1) + "个百分点"; }
    else if (kind === "mean") { pts = Math.round(delta * 100) / 100; body = Math.abs(pts).toFixed(2); }
    else { pts = delta; body = fmt(Math.abs(delta), "count"); }
    if (pts > 0) return "▲" + body;
    if (pts < 0) return "▼" + body;
    return "持平";
  }
  // green = better: for indicators whose target is 0 (应建未建单位数) a fall is the good direction
  function chgClass(text, id) {
    var better = id && IND[id] && IND[id].target_value === 0 ? "▼" : "▲";
    var c = text.charAt(0);
    return c !== "▲" && c !== "▼" ? "flat" : c === better ? "up" : "down";
  }
  function periodLabel(p) {
    var m = /^(\d{4})Q([1-4])$/.exec(p || "");
    if (m) return m[1] + "年第" + m[2] + "季度";
    return /^\d{4}$/.test(p || "") ? p + "年" : String(p);
  }
  function axisLabel(p) {
    var m = /^(\d{4})Q([1-4])$/.exec(p || "");
    if (m) return NARROW ? m[1] + "年<br>" + m[2] + "季度" : m[1] + "年" + m[2] + "季度";
    return /^\d{4}$/.test(p) ? p + "年" : p;
  }
  function prevQuarter(p) {
    var y = +p.slice(0, 4), q = +p.slice(5);
    return q === 1 ? (y - 1) + "Q4" : y + "Q" + (q - 1);
  }
  function get(code, period, id) {
    var e = VAL[code]; if (!e) return null;
    var p = e[period]; if (!p) return null;
    return p[id] || null;
  }
  function val(code, period, id) { var r = get(code, period, id); return r && isNum(r[0]) ? r[0] : null; }
  function scope() { return state.community || state.street || ""; }
  function entity() { return scope() || DISTRICT; }
  function entityName(code) { var e = ENT[code]; return e ? e.name : code; }
  function fractionText(id, r) {
    var i = ind(id);
    return "分子/分母：" + fmt(r ? r[1] : null, "count") + " / " + fmt(r ? r[2] : null, "count") +
      "（分母：" + (i.den_name || "—") + "）";
  }
  function tooltipText(id, r) {
    var i = ind(id);
    if (i.kind === "ratio" || i.kind === "mean") {
      return i.name + "：" + fmtCell(r, i.kind) + "；分子（" + i.num_name + "）" + fmt(r ? r[1] : null, "count") +
        "，分母（" + i.den_name + "）" + fmt(r ? r[2] : null, "count");
    }
    return i.name + "：" + fmtCell(r, i.kind) + "（" + i.num_name + "）";
  }
  function numAttr(v) { return isNum(v) ? String(v) : ""; }

  // ---------------------------------------------------------------- coverage (已报 N/M)
  function cov(code, period) { var e = COV[code]; return e && e[period] ? e[period] : null; }
  function complete(code, period) { var c = cov(code, period); return !!(c && c[2]); }
  function covText(c) { return c ? "已报 " + c[0] + "/" + c[1] + (c[2] ? "" : " · 不完整") : "已报 —"; }
  function covHtml(code, period, cls) {
    var c = cov(code, period);
    return '<span class="' + (cls || "coverage") + (c && c[2] ? "" : " incomplete") + '" data-reported="' +
      (c ? c[0] : "") + '" data-expected="' + (c ? c[1] : "") + '" data-period="' + esc(period) + '">' +
      esc(covText(c)) + "</span>";
  }
  function caption(chartId, title, code, period, axisNote) {
    var el = document.getElementById("cap-" + chartId);
    if (!el) return;
    el.innerHTML = esc(title) + (code ? " · " + esc(entityName(code)) : "") + " " + covHtml(code || DISTRICT, period) +
      (axisNote ? '<span class="axis-note">' + esc(axisNote) + "</span>" : "");
  }

  // ---------------------------------------------------------------- cards
  function cardHtml(id) {
    var i = ind(id), yearly = id === "K9" || i.quarterly === false;
    var p = yearly ? state.period.slice(0, 4) : state.period;
    var prev = yearly ? String(+state.period.slice(0, 4) - 1) : prevQuarter(state.period);
    var r = get(entity(), p, id);
    var v = r && isNum(r[0]) ? r[0] : null;
    var old = val(entity(), prev, id);
    var chg = fmtChange(v !== null && old !== null ? v - old : null, i.kind);
    var detail = (i.kind === "ratio" || i.kind === "mean") ? fractionText(id, r) : (i.num_name || "");
    var c = cov(entity(), p);
    return '<div class="card' + (c && c[2] ? "" : " incomplete") + '" data-indicator="' + esc(id) + '" data-value="' +
      numAttr(v) + '" data-period="' + esc(p) + '" data-reported="' + (c ? c[0] : "") + '" data-expected="' +
      (c ? c[1] : "") + '" title="' + esc(tooltipText(id, r)) + '">' +
      '<div class="card-title">' + esc(i.name) + '<span class="card-scope">' + esc(yearly ? p + "年度" : periodLabel(p)) + "</span></div>" +
      '<div class="card-value">' + esc(fmtCell(r, i.kind)) + "</div>" +
      '<div class="card-change ' + chgClass(chg, id) + '">' + (yearly ? "较上年" : "较上季") + " " + esc(chg) + "</div>" +
      '<div class="card-target">目标：' + esc(i.target) + "</div>" +
      '<div class="card-detail">' + esc(detail) + "</div>" +
      '<div class="card-coverage' + (c && c[2] ? "" : " incomplete") + '">' + esc(covText(c)) + "</div>" +
      '<div class="card-explain" title="在命令行运行此命令，列出分子、分母中的单位及其来源（报表、表、行）">溯源：<code>' +
      esc("liangxin explain " + id + " --unit " + entity() + " --period " + p) + "</code></div></div>";
  }
  function renderSnapshot() {
    var snap = (D.snapshots || {})[state.period] || META.snapshot_date || "—";
    document.getElementById("lx-snapshot").textContent = snap;
  }
  function renderBanner() {
    var el = document.getElementById("lx-coverage"), p = state.period;
    var c = cov(DISTRICT, p), parts = [periodLabel(p) + "：全区" + covText(c).replace(" · 不完整", "") + " 个社区"];
    if (scope()) parts.push(entityName(scope()) + covText(cov(scope(), p)).replace(" · 不完整", ""));
    var ok = complete(entity(), p);
    var text = parts.join("，");
    if (!ok) {
      text += " · 不完整：本页数字只含已报社区，不代表" + (scope() ? entityName(scope()) : "全区") + "全貌";
      if (META.default_reason === "none_complete") text += "（目前没有报送完整的季度）";
    } else {
      text += " · 完整";
    }
    el.textContent = text;
    el.className = "coverage-banner " + (ok ? "complete" : "incomplete");
    el.setAttribute("data-reported", c ? c[0] : "");
    el.setAttribute("data-expected", c ? c[1] : "");
  }
  function renderCards() {
    document.getElementById("lx-cards").innerHTML = META.headline.map(cardHtml).join("");
    document.getElementById("lx-headline-note").textContent = entityName(entity()) + " · " + periodLabel(state.period);
    var work = META.work_cards || [];
    document.getElementById("sec-work-cards").hidden = !work.length;
    document.getElementById("lx-cards2").innerHTML = work.map(cardHtml).join("");
    document.getElementById("lx-work-note").textContent = entityName(entity()) + " · " + periodLabel(state.period);
  }

  // ---------------------------------------------------------------- charts
  function hoverFor(kind, name) {
    var n = esc(name);
    if (kind === "ratio" || kind === "mean") {
      return "<b>" + n + "</b><br>%{x}：%{customdata[0]}<br>分子/分母：%{customdata[1]} / %{customdata[2]}" +
        "<br>分母：%{customdata[3]}<br>%{customdata[4]}<extra></extra>";
    }
    return "<b>" + n + "</b><br>%{x}：%{customdata[0]}<br>%{customdata[4]}<extra></extra>";
  }
  function customRow(id, r, c) {
    var i = ind(id);
    return [fmtCell(r, i.kind), fmt(r ? r[1] : null, "count"), fmt(r ? r[2] : null, "count"), i.den_name || "—", covText(c)];
  }
  function seriesTrace(code, id, periods, type, color, extra) {
    var i = ind(id);
    var rows = periods.map(function (p) { return get(code, p, id); });
    var t = {
      type: type === "line" ? "scatter" : type,
      x: periods.map(axisLabel),
      y: rows.map(function (r) { return r && isNum(r[0]) ? r[0] : null; }),
      customdata: rows.map(function (r, k) { return customRow(id, r, cov(code, periods[k])); }),
      hovertemplate: hoverFor(i.kind, i.name),
      name: i.name,
      marker: { color: color }
    };
    if (type === "line") {
      t.mode = "lines+markers"; t.line = { color: color, width: 2.5 }; t.connectgaps = false;
      // a hollow point: the quarter's reporting is incomplete
      t.marker = { color: color, size: 8, line: { color: color, width: 2 },
                   symbol: periods.map(function (p) { return complete(code, p) ? "circle" : "circle-open"; }) };
    } else {
      t.marker = { color: color, opacity: periods.map(function (p) { return complete(code, p) ? 1 : 0.45; }) };
    }
    return Object.assign(t, extra || {});
  }
  function baseLayout(extra) {
    var l = {
      font: { family: FONT, size: NARROW ? 11 : 12, color: "#1f2933" },
      hoverlabel: { font: { family: FONT } },
      margin: { l: 8, r: 12, t: 8, b: 8, autoexpand: true },
      // the legend sits above the plot area: it never covers the data, and wraps on narrow screens
      legend: { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom", font: { size: NARROW ? 11 : 12 } },
      paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
      xaxis: { type: "category", automargin: true, tickangle: NARROW ? 0 : "auto", fixedrange: NARROW },
      yaxis: { tickformat: ".0%", rangemode: "tozero", gridcolor: "#eceff3", automargin: true, fixedrange: NARROW },
      height: NARROW ? 300 : 340,
      dragmode: NARROW ? false : "zoom"
    };
    return Object.assign(l, extra || {});
  }
  // quarter axes: every quarter labelled when they fit, else one label a year (its first quarter) — labels
  // never run into each other on a phone
  function quarterTicks(layout, periods) {
    var limit = NARROW ? 4 : 8;
    if (periods.length <= limit) return layout;
    var vals = [], text = [], seen = {};
    periods.forEach(function (p) {
      var y = p.slice(0, 4);
      if (seen[y]) return;
      seen[y] = 1; vals.push(axisLabel(p)); text.push(y + "年");
    });
    var step = Math.max(1, Math.ceil(vals.length / (NARROW ? 5 : 12)));
    layout.xaxis = Object.assign({}, layout.xaxis, {
      tickmode: "array", tickangle: 0,
      tickvals: vals.filter(function (v, k) { return k % step === 0; }),
      ticktext: text.filter(function (v, k) { return k % step === 0; })
    });
    return layout;
  }
  function markPeriod(layout, label) {
    layout.shapes = [{ type: "line", xref: "x", yref: "paper", x0: label, x1: label, y0: 0, y1: 1,
                       line: { color: "#9aa5b1", width: 1, dash: "dot" } }];
    return layout;
  }
  // a y range that shows movement: the data's range with a margin, not 0–100 % (lines only; bars start at 0)
  function fitRange(traces, kind) {
    var lo = Infinity, hi = -Infinity;
    traces.forEach(function (t) { (t.y || []).forEach(function (v) { if (isNum(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }); });
    if (!isFinite(lo)) return null;
    var span = hi - lo, pad = Math.max(span * 0.25, kind === "ratio" ? 0.02 : Math.max(1, Math.abs(hi) * 0.05));
    var a = lo - pad, b = hi + pad;
    if (lo >= 0 && a < 0) a = 0;
    if (kind === "ratio" && hi <= 1 && b > 1.02) b = 1.02;
    return [a, b];
  }
  function plot(id, traces, layout) {
    var el = document.getElementById(id);
    if (!el) return;
    var any = traces.some(function (t) {
      var v = t.orientation === "h" ? t.x : t.y;
      return (v || []).some(function (x) { return x !== null && x !== undefined; });
    });
    if (!any) {
      var reasons = traces.some(function (t) { return t._lxReason; });
      layout.annotations = [{ text: reasons ? "未采集" : "暂无数据", showarrow: false, xref: "paper", yref: "paper",
                              x: 0.5, y: 0.5, font: { size: 16, color: "#9aa5b1" } }];
      layout.xaxis = Object.assign({}, layout.xaxis, { visible: false });
      layout.yaxis = Object.assign({}, layout.yaxis, { visible: false });
      if (layout.yaxis2) layout.yaxis2 = Object.assign({}, layout.yaxis2, { visible: false });
      layout.showlegend = false;
      layout.shapes = [];
    }
    // counts: with small numbers, ticks every 1 (",d" would otherwise print repeated labels such as 1, 1, 2, 2)
    ["yaxis", "yaxis2", "xaxis"].forEach(function (ax) {
      if (!layout[ax] || layout[ax].tickformat !== ",d") return;
      var name = ax === "yaxis" ? "y" : ax === "yaxis2" ? "y2" : "x", sums = {};
      traces.forEach(function (t) {
        var horiz = t.orientation === "h";
        if (name === "x" ? !horiz : horiz || (t.yaxis || "y") !== name) return;
        ((horiz ? t.x : t.y) || []).forEach(function (v, k) { if (isNum(v) && v > 0) sums[k] = (sums[k] || 0) + v; });
      });
      var max = 0;
      Object.keys(sums).forEach(function (k) { max = Math.max(max, sums[k]); });
      if (max <= 8) layout[ax] = Object.assign({}, layout[ax], { dtick: 1 });
    });
    // few categories: keep bars from filling the whole width
    var cats = {};
    traces.forEach(function (t) { if (t.type === "bar") ((t.orientation === "h" ? t.y : t.x) || []).forEach(function (x) { cats[x] = 1; }); });
    var ncat = Object.keys(cats).length;
    if (ncat && ncat <= 3 && layout.bargap === undefined) layout.bargap = ncat === 1 ? 0.7 : 0.5;
    Plotly.react(el, traces, layout, NARROW ? Object.assign({}, CONFIG, { displayModeBar: false }) : CONFIG);
  }
  function markReasons(traces, code, periods, ids) {
    traces.forEach(function (t, k) {
      t._lxReason = periods.some(function (p) { var r = get(code, p, ids[k]); return r && r.length > 3; });
    });
    return traces;
  }
  function quarterChart(divId, title, ids, opts) {
    opts = opts || {};
    var code = entity(), type = opts.type || "line";
    var traces = markReasons(ids.map(function (id, k) {
      return seriesTrace(code, id, D.quarters, type, SERIES[k % SERIES.length]);
    }), code, D.quarters, ids);
    var layout = baseLayout(opts.layout);
    var note = "";
    if (opts.counts) layout.yaxis = Object.assign({}, layout.yaxis, { tickformat: ",d" });
    if (type === "line") {
      var kind = ind(ids[0]).kind, range = fitRange(traces, kind);
      if (range) {
        layout.yaxis = Object.assign({}, layout.yaxis, { range: range, rangemode: "normal", autorange: false });
        // a narrow ratio range needs a decimal in its tick labels (else 13%, 13%, 14%, 14%)
        if (kind === "ratio" && range[1] - range[0] < 0.08) layout.yaxis.tickformat = ".1%";
        if (range[0] > 0) note = "纵轴不从 0 开始";
      }
    }
    caption(divId, title, code, state.period, note);
    plot(divId, traces, markPeriod(quarterTicks(layout, D.quarters), axisLabel(state.period)));
  }
  function yearChart(divId, title, ids, opts) {
    opts = opts || {};
    var code = entity(), y = state.period.slice(0, 4);
    var traces = markReasons(ids.map(function (id, k) {
      return seriesTrace(code, id, D.years, "bar", SERIES[k % SERIES.length]);
    }), code, D.years, ids);
    var layout = baseLayout({ barmode: "group" });
    if (opts.counts) layout.yaxis = Object.assign({}, layout.yaxis, { tickformat: ",d" });
    caption(divId, title, code, y);
    plot(divId, traces, markPeriod(layout, axisLabel(y)));
  }
  // quarterly indicators of `ids` as lines, yearly-only ones as bars (new indicators of revision 2)
  function mixedCharts(qDiv, yDiv, title, ids) {
    var q = ids.filter(function (id) { return ind(id).quarterly !== false; });
    var y = ids.filter(function (id) { return ind(id).quarterly === false; });
    quarterChart(qDiv, title + "（季度）", q.length ? q : ids.slice(0, 1));
    yearChart(yDiv, title + "（年度）", y.length ? y : ids.filter(function (id) { return ind(id).yearly !== false; }));
  }

  function renderTrends() {
    ["K1", "K2", "K3", "K4"].forEach(function (id) {
      quarterChart("ch-trend-" + id.toLowerCase(), ind(id).name + "季度趋势", [id]);
    });
    quarterChart("ch-trend-members", "党员总数", ["M"], { type: "bar", counts: true });
  }

  // the year-to-date line: the running sum of the quarter values within each year (monotone), one segment a year
  function runningByYear(code, id, periods) {
    var out = [], acc = null, year = null;
    periods.forEach(function (p) {
      var y = p.slice(0, 4);
      if (y !== year) { year = y; acc = null; }
      var v = val(code, p, id);
      if (v !== null) acc = (acc || 0) + v;
      out.push(acc);
    });
    return out;
  }
  function renderGrowth() {
    var code = entity(), qs = D.quarters, x = qs.map(axisLabel);
    var traces = ["K7a", "K7b", "K7c", "K7d"].map(function (id, k) {
      return seriesTrace(code, id, qs, "bar", SERIES[k]);
    });
    var q = ind("K7q"), cum = runningByYear(code, "K7a", qs);
    var years = [];
    qs.forEach(function (p) { if (years.indexOf(p.slice(0, 4)) < 0) years.push(p.slice(0, 4)); });
    years.forEach(function (y, n) {
      var idx = [];
      qs.forEach(function (p, k) { if (p.slice(0, 4) === y) idx.push(k); });
      var rows = idx.map(function (k) { return get(code, qs[k], "K7q"); });
      traces.push({
        type: "scatter", mode: "lines+markers", name: "本年累计发展党员", legendgroup: "cum", showlegend: n === 0,
        x: idx.map(function (k) { return x[k]; }), y: idx.map(function (k) { return cum[k]; }),
        customdata: idx.map(function (k, j) {
          return customRow("K7q", rows[j], cov(code, qs[k])).concat([fmt(cum[k], "count")]);
        }),
        line: { color: "#2c3e50", width: 2 },
        marker: { color: "#2c3e50", symbol: idx.map(function (k) { return complete(code, qs[k]) ? "circle" : "circle-open"; }) },
        hovertemplate: "<b>本年累计发展党员</b><br>%{x}：%{customdata[5]}<br>" + esc(q.name) +
          "：%{customdata[0]}（%{customdata[1]} / %{customdata[2]}）<br>%{customdata[4]}<extra></extra>"
      });
      traces.push({
        type: "scatter", mode: "lines", name: "本年发展计划数", legendgroup: "plan", showlegend: n === 0,
        x: idx.map(function (k) { return x[k]; }),
        y: rows.map(function (r) { return r && isNum(r[2]) ? r[2] : null; }),
        customdata: rows.map(function (r, j) { return customRow("K7q", r, cov(code, qs[idx[j]])); }),
        line: { color: "#7f8c8d", width: 2, dash: "dash", shape: "hv" },
        hovertemplate: "<b>本年发展计划数</b><br>%{x}：%{customdata[2]}<br>" + esc(q.name) + "：%{customdata[0]}<extra></extra>"
      });
    });
    var layout = baseLayout({
      barmode: "relative", height: NARROW ? 340 : 400,
      yaxis: { tickformat: ",d", rangemode: "tozero", gridcolor: "#eceff3", title: { text: "人数" }, automargin: true, fixedrange: NARROW }
    });
    caption("ch-growth", "四个一批（按季度）、本年累计发展党员与发展计划", code, state.period);
    plot("ch-growth", traces, markPeriod(quarterTicks(layout, qs), axisLabel(state.period)));
    quarterChart("ch-activists", "入党积极分子、申请人与未建党组织单位发展党员", ["K7f", "K7g", "K7e"], { type: "bar", counts: true,
      layout: { barmode: "group" } });
  }

  function renderTopics() {
    yearChart("ch-training", "培训全覆盖（年度）", ["K9", "K9b", "K10", "K11"]);
    quarterChart("ch-orglife-q", "组织生活（季度）", ["K13", "K15"]);
    yearChart("ch-orglife-y", "组织生活与阵地（年度）", ["K14a", "K14b", "K15y", "K16"]);
    quarterChart("ch-mobile", "流动党员管理", ["K18", "K18b", "K18c_in", "K18c_out", "K18d"]);
    quarterChart("ch-mobile-count", "失去联系流动党员", ["K18e"], { type: "bar", counts: true });
    // funds: K17 (ratio, left axis) and K17f (count, right axis)
    var code = entity();
    var t1 = seriesTrace(code, "K17", D.years, "bar", SERIES[0]);
    var t2 = seriesTrace(code, "K17f", D.years, "line", SERIES[2], { yaxis: "y2" });
    var lf = baseLayout({
      yaxis2: { automargin: true, overlaying: "y", side: "right", tickformat: ",d", rangemode: "tozero", showgrid: false,
                title: { text: "企业数" }, fixedrange: NARROW }
    });
    caption("ch-funds", "党建工作经费（年度）", code, state.period.slice(0, 4));
    plot("ch-funds", [t1, t2], markPeriod(lf, axisLabel(state.period.slice(0, 4))));
    yearChart("ch-inspection", "年检（年度）", ["K19"]);
    quarterChart("ch-timeliness", "按期报送（季度）", ["K20"]);
    quarterChart("ch-coverage-extra", "指导员与群团组织覆盖", ["K5", "K6_union", "K6_youth", "K6_women"]);
  }

  function renderWork() {
    mixedCharts("ch-work-q", "ch-work-y", "双向进入、党群工作部、活动场所与“双强六好”", ["K21", "K22", "K23", "K24"]);
    quarterChart("ch-work-count", "有党组织未建群团组织单位", ["K6b"], { type: "bar", counts: true });
    quarterChart("ch-work-people", "专职党务工作者", ["K22w"], { type: "bar", counts: true });
  }

  // bars per entity: vertical on wide screens, horizontal (names readable) on phones
  function entityBars(codes, id, color, name, p, extra) {
    var i = ind(id), rows = codes.map(function (c) { return get(c, p, id); });
    var names = codes.map(entityName), vals = rows.map(function (r) { return r && isNum(r[0]) ? r[0] : null; });
    var t = { type: "bar", name: name || i.name, marker: { color: color },
              customdata: rows.map(function (r, k) { return customRow(id, r, cov(codes[k], p)).concat([codes[k]]); }),
              hovertemplate: hoverFor(i.kind, i.name) };
    if (NARROW) { t.orientation = "h"; t.y = names; t.x = vals; t.hovertemplate = t.hovertemplate.replace("%{x}", "%{y}"); }
    else { t.x = names; t.y = vals; }
    return Object.assign(t, extra || {});
  }
  function barLayout(kind, n, extra) {
    var valueAxis = { tickformat: kind === "ratio" ? ".0%" : ",d", rangemode: "tozero", gridcolor: "#eceff3", automargin: true,
                      fixedrange: NARROW };
    var catAxis = { type: "category", automargin: true, fixedrange: NARROW };
    var l = baseLayout(extra);
    if (NARROW) {
      l.xaxis = valueAxis; l.yaxis = Object.assign(catAxis, { autorange: "reversed" });
      l.height = Math.max(260, 24 * n + 110);
    } else {
      l.yaxis = valueAxis; l.xaxis = Object.assign(catAxis, { tickangle: n > 12 ? -60 : "auto" });
    }
    return l;
  }
  function renderDrill() {
    var p = state.period, streets = D.streets;
    var st = ["K1", "K2"].map(function (id, k) { return entityBars(streets, id, SERIES[k], null, p); });
    caption("ch-drill-street", "各街道单建率、覆盖率 · " + periodLabel(p), DISTRICT, p);
    plot("ch-drill-street", st, barLayout("ratio", streets.length * 2, { barmode: "group" }));
    var kt = [["K3b_joint", "#e67e22"], ["K3b_functional", "#2e86c1"], ["K3b_none", "#c0392b"]].map(function (a) {
      return entityBars(streets, a[0], a[1], ind(a[0]).name.replace(/^应建未建单位数：/, ""), p);
    });
    caption("ch-drill-k3b", "各街道应建未建单位数 · " + periodLabel(p), DISTRICT, p);
    plot("ch-drill-k3b", kt, barLayout("count", streets.length, { barmode: "stack" }));
    // communities: K1 bars coloured by street, K2 as markers
    var byStreet = {}, order = [];
    D.communities.forEach(function (c) {
      var s = (ENT[c] && ENT[c].street) || "";
      if (!(s in byStreet)) { byStreet[s] = []; order.push(s); }
      byStreet[s].push(c);
    });
    var traces = [], allCodes = [];
    order.forEach(function (s, k) {
      var codes = byStreet[s].filter(function (c) { return get(c, p, "K1") || get(c, p, "K2"); });
      if (!codes.length) return;
      var sname = (D.street_names && D.street_names[s]) || entityName(s) || "其他";
      traces.push(entityBars(codes, "K1", PALETTE[k % PALETTE.length], "单建率 · " + sname, p, { legendgroup: s }));
      allCodes = allCodes.concat(codes);
    });
    var k2 = entityBars(allCodes, "K2", "#1f2933", null, p);
    k2.type = "scatter"; k2.mode = "markers"; k2.marker = { symbol: "diamond", size: 9, color: "#1f2933" };
    traces.push(k2);
    var layout = barLayout("ratio", allCodes.length, { bargap: 0.25 });
    var cat = NARROW ? "yaxis" : "xaxis";
    layout[cat] = Object.assign(layout[cat], { categoryorder: "array", categoryarray: allCodes.map(entityName) });
    if (!NARROW) layout.height = 460;
    caption("ch-drill-community", "各社区单建率（柱，按街道着色）与党组织覆盖率（◆） · " + periodLabel(p), DISTRICT, p);
    var el = document.getElementById("ch-drill-community");
    plot("ch-drill-community", traces, layout);
    if (!el._lxClick && el.on) {
      el._lxClick = true;
      el.on("plotly_click", function (ev) {
        var pt = ev && ev.points && ev.points[0];
        var code = pt && pt.customdata && pt.customdata[5];
        if (code && ENT[code] && ENT[code].level === "community") { setCommunity(code); changed(); }
      });
    }
  }

  // ---------------------------------------------------------------- tables
  function td(text, sortValue, cls, title) {
    return "<td" + (cls ? ' class="' + cls + '"' : "") + ' data-sort="' + esc(sortValue == null ? "" : sortValue) + '"' +
      (title ? ' title="' + esc(title) + '"' : "") + ">" + text + "</td>";
  }
  function th(text, cls) { return "<th" + (cls ? ' class="' + cls + '"' : "") + ">" + esc(text) + "</th>"; }
  function inScope(code) {
    var s = scope();
    if (!s) return true;
    if (s === code) return true;
    return !!(ENT[code] && ENT[code].street === s);
  }
  function noteCoverage(el, text, period) {
    el.innerHTML = esc(text) + " " + covHtml(entity(), period);
  }
  function renderBulletin() {
    var p = state.period, rows = (D.bulletin[p] || []).filter(function (r) { return inScope(r.code); });
    var head = "<thead><tr>" + th("排名") + th("社区", "txt") + th("街道", "txt") + th("单建率") + th("较上季") +
      th("党组织覆盖率") + th("较上季") + th("应建必建率") + th("较上季") + th("应建未建单位数") + th("较上季") + "</tr></thead>";
    var body = rows.map(function (r) {
      var e = ENT[r.code] || {};
      var cells = td(r.rank == null ? "—" : String(r.rank), r.rank, r.rank != null && r.rank <= 3 ? "rank-top" : "") +
        td(esc(e.name || r.code), e.name || r.code, "txt") + td(esc(e.street_name || "—"), e.street_name || "", "txt");
      ["K1", "K2", "K3", "K3b"].forEach(function (id) {
        var i = ind(id), c = fmtChange(r[id + "_chg"], i.kind);
        cells += td(esc(fmt(r[id], i.kind)), r[id], "", tooltipText(id, get(r.code, p, id))) +
          td('<span class="' + chgClass(c, id) + '">' + esc(c) + "</span>", r[id + "_chg"]);
      });
      return "<tr>" + cells + "</tr>";
    }).join("");
    if (!rows.length) body = '<tr><td class="txt" colspan="11">本期没有通报数据。</td></tr>';
    document.getElementById("tb-bulletin").innerHTML = head + "<tbody>" + body + "</tbody>";
    noteCoverage(document.getElementById("lx-bulletin-note"), periodLabel(p) + " · 按单建率从高到低排名（并列同名次；“—”为分母为0），共 " +
      rows.length + " 个已报社区" + (scope() ? "（" + entityName(scope()) + "）" : "") + " · 点击表头可排序 ·", p);
  }
  function renderWorklist() {
    var p = state.period, note = document.getElementById("lx-worklist-note");
    var table = document.getElementById("tb-worklist");
    if (META.worklist_source === "absent") {
      table.innerHTML = '<tbody><tr><td class="txt">服务快照中没有应建未建清单。</td></tr></tbody>';
      note.textContent = "";
      return;
    }
    var rows = (D.worklist[p] || []).filter(function (r) { return inScope(r.code); });
    var counts = {};
    rows.forEach(function (r) { counts[r.cat] = (counts[r.cat] || 0) + 1; });
    var head = "<thead><tr>" + th("社区", "txt") + th("街道", "txt") + th("单位名称", "txt") + th("统一社会信用代码", "txt") +
      th("正式党员数") + th("党组织建立情况", "txt") + th("类别", "txt") + "</tr></thead>";
    var body = rows.map(function (r) {
      var e = ENT[r.code] || {};
      var cname = e.name || r.cname || r.code || "—";
      return "<tr>" + td(esc(cname), cname, "txt") + td(esc(e.street_name || "—"), e.street_name || "", "txt") +
        td(esc(r.org), r.org, "txt") + td(esc(r.uscc), r.uscc, "txt") + td(esc(fmt(r.members, "count")), r.members) +
        td(esc(r.status), r.status, "txt") + td(esc(r.cat), r.cat, "txt") + "</tr>";
    }).join("");
    if (!rows.length) body = '<tr><td class="txt" colspan="7">本期没有应建未建单位。</td></tr>';
    table.innerHTML = head + "<tbody>" + body + "</tbody>";
    noteCoverage(note, periodLabel(p) + " · 共 " + rows.length + " 家" +
      (rows.length ? "（" + Object.keys(counts).map(function (k) { return k + " " + counts[k]; }).join("，") + "）" : "") +
      (scope() ? " · " + entityName(scope()) : "") + " ·", p);
  }
  function renderNoMass() {
    var p = state.period, note = document.getElementById("lx-nomass-note"), table = document.getElementById("tb-nomass");
    if (META.no_mass_source === "absent") {
      table.innerHTML = '<tbody><tr><td class="txt">服务快照中没有此清单。</td></tr></tbody>';
      note.textContent = "";
      return;
    }
    var listed = Object.keys(D.no_mass_org || {}).sort();
    var rows = ((D.no_mass_org || {})[p] || []).map(function (a) {
      return { code: a[0], uscc: a[1], org: a[2], category: a[3], status: a[4], employees: a[5] };
    }).filter(function (r) { return inScope(r.code); });
    var head = "<thead><tr>" + th("社区", "txt") + th("街道", "txt") + th("单位名称", "txt") + th("统一社会信用代码", "txt") +
      th("组织类别", "txt") + th("党组织建立情况", "txt") + th("从业人员数") + "</tr></thead>";
    var body = rows.map(function (r) {
      var e = ENT[r.code] || {}, cname = e.name || r.code || "—";
      return "<tr>" + td(esc(cname), cname, "txt") + td(esc(e.street_name || "—"), e.street_name || "", "txt") +
        td(esc(r.org || "—"), r.org, "txt") + td(esc(r.uscc || "—"), r.uscc, "txt") + td(esc(r.category || "—"), r.category, "txt") +
        td(esc(r.status || "—"), r.status, "txt") + td(esc(fmt(r.employees, "count")), r.employees) + "</tr>";
    }).join("");
    if (!rows.length && listed.length && p < listed[0]) {
      body = '<tr><td class="txt" colspan="7">本页只含最近' + listed.length + "个季度（" + esc(periodLabel(listed[0])) +
        "起）的清单；更早的请用 liangxin sql 查询 marts.kpi_worklist_no_mass_org。</td></tr>";
    }
    if (!body) body = '<tr><td class="txt" colspan="7">本期没有此类单位。</td></tr>';
    table.innerHTML = head + "<tbody>" + body + "</tbody>";
    noteCoverage(note, periodLabel(p) + " · 已有党组织但没有工会、共青团、妇联的单位，共 " + rows.length + " 家" +
      (scope() ? " · " + entityName(scope()) : "") + " ·", p);
  }
  function renderPending() {
    var note = document.getElementById("lx-pending-note"), table = document.getElementById("tb-pending");
    if (META.pending_source === "absent") {
      table.innerHTML = '<tbody><tr><td class="txt">服务快照中没有待更正报表清单。</td></tr></tbody>';
      note.textContent = "";
      return;
    }
    var rows = (D.pending || []).filter(function (r) { return inScope(r.code); });
    var head = "<thead><tr>" + th("社区", "txt") + th("街道", "txt") + th("待更正报告期", "txt") + th("党组织", "txt") +
      th("期初党员数（已报）") + th("上季更正后期末实有数") + th("差额") + th("起因：已更正的报告期", "txt") + th("更正序号") +
      th("更正说明", "txt") + "</tr></thead>";
    var body = rows.map(function (r) {
      var e = ENT[r.code] || {}, cname = e.name || r.cname || r.code || "—";
      return "<tr>" + td(esc(cname), cname, "txt") + td(esc(e.street_name || "—"), e.street_name || "", "txt") +
        td(esc(r.period ? periodLabel(r.period) : "—"), r.period, "txt") + td(esc(r.org || r.org_code || "—"), r.org, "txt") +
        td(esc(fmt(r.opening, "count")), r.opening) + td(esc(fmt(r.closing, "count")), r.closing) +
        td(esc(fmt(r.diff, "count")), r.diff) + td(esc(r.cause ? periodLabel(r.cause) : "—"), r.cause, "txt") +
        td(esc(r.correction == null ? "—" : r.correction), r.correction) + td(esc(r.reason || "—"), r.reason, "txt") + "</tr>";
    }).join("");
    if (!rows.length) body = '<tr><td class="txt" colspan="10">没有待更正的报表。</td></tr>';
    table.innerHTML = head + "<tbody>" + body + "</tbody>";
    note.textContent = "审核规则 P6：某季度报表更正后，下一季度已报的期初党员数与更正后的期末实有数不符，需更正下一季度报表 · 共 " +
      rows.length + " 条" + (scope() ? " · " + entityName(scope()) : "");
  }
  function renderDetail() {
    var code = entity(), p = state.period, y = p.slice(0, 4), prev = prevQuarter(p);
    var head = "<thead><tr>" + th("指标", "txt") + th("分类", "txt") + th(periodLabel(p) + "（" + covText(cov(code, p)) + "）") +
      th("分子/分母") + th("较上季") + th(y + "年度（" + covText(cov(code, y)) + "）") + th("分子/分母") + th("目标", "txt") +
      th("分母口径", "txt") + "</tr></thead>";
    var body = Object.keys(IND).map(function (id) {
      var i = IND[id], rq = i.quarterly ? get(code, p, id) : null, ry = i.yearly ? get(code, y, id) : null;
      var frac = function (r) {
        return (i.kind === "ratio" || i.kind === "mean") && r && (isNum(r[1]) || isNum(r[2])) ?
          fmt(r[1], "count") + " / " + fmt(r[2], "count") : "";
      };
      var oq = i.quarterly ? val(code, prev, id) : null, vq = rq && isNum(rq[0]) ? rq[0] : null;
      var c = i.quarterly ? fmtChange(vq !== null && oq !== null ? vq - oq : null, i.kind) : "";
      return "<tr>" + td(esc(i.name), i.name, "txt", id) + td(esc(i.group), i.group, "txt") +
        td(i.quarterly ? esc(fmtCell(rq, i.kind)) : "", "", "", i.quarterly ? tooltipText(id, rq) : "") +
        td(esc(frac(rq)), "") + td(c ? '<span class="' + chgClass(c, id) + '">' + esc(c) + "</span>" : "", "") +
        td(i.yearly ? esc(fmtCell(ry, i.kind)) : "", "", "", i.yearly ? tooltipText(id, ry) : "") +
        td(esc(frac(ry)), "") + td(esc(i.target), "", "txt") + td(esc(i.den_name || ""), "", "txt") + "</tr>";
    }).join("");
    document.getElementById("tb-detail").innerHTML = head + "<tbody>" + body + "</tbody>";
    document.getElementById("lx-detail-note").textContent = entityName(code) + " · 空白表示该指标无此口径（仅季度或仅年度）";
  }
  function makeSortable(table) {
    table.addEventListener("click", function (ev) {
      var cell = ev.target.closest("th");
      if (!cell || !table.tBodies[0]) return;
      var idx = Array.prototype.indexOf.call(cell.parentNode.children, cell);
      var dir = cell.getAttribute("data-dir") === "asc" ? "desc" : "asc";
      Array.prototype.forEach.call(cell.parentNode.children, function (h) { h.removeAttribute("data-dir"); });
      cell.setAttribute("data-dir", dir);
      var rows = Array.prototype.slice.call(table.tBodies[0].rows);
      rows.sort(function (a, b) {
        var x = a.cells[idx] ? a.cells[idx].getAttribute("data-sort") : "", y = b.cells[idx] ? b.cells[idx].getAttribute("data-sort") : "";
        if (x === "" || x === null) return (y === "" || y === null) ? 0 : 1;
        if (y === "" || y === null) return -1;
        var nx = Number(x), ny = Number(y), r;
        r = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y), "zh-CN");
        return dir === "asc" ? r : -r;
      });
      rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
    });
  }

  // ---------------------------------------------------------------- selectors and URL state
  var periodSel = document.getElementById("lx-period"), streetSel = document.getElementById("lx-street"),
      communitySel = document.getElementById("lx-community");
  function communitiesOf(street) {
    return D.communities.filter(function (c) { return !street || (ENT[c] && ENT[c].street === street); });
  }
  function buildPeriodSelect() {
    periodSel.innerHTML = D.quarters.slice().reverse().map(function (q) {
      return '<option value="' + esc(q) + '">' + esc(periodLabel(q)) + (complete(DISTRICT, q) ? "" : "（不完整）") + "</option>";
    }).join("");
  }
  function buildStreetSelect() {
    streetSel.innerHTML = '<option value="">' + esc(entityName(DISTRICT)) + "（全区）</option>" + D.streets.map(function (s) {
      return '<option value="' + esc(s) + '">' + esc(entityName(s)) + "</option>";
    }).join("");
  }
  function buildCommunitySelect() {
    var list = communitiesOf(state.street);
    communitySel.innerHTML = '<option value="">' + (state.street ? "全部社区" : "全部社区（可先选街道）") + "</option>" +
      list.map(function (c) { return '<option value="' + esc(c) + '">' + esc(entityName(c)) + "</option>"; }).join("");
  }
  function setCommunity(code) {
    state.community = code || "";
    if (code && ENT[code] && ENT[code].street) state.street = ENT[code].street;
  }
  function syncSelects() {
    periodSel.value = state.period;
    streetSel.value = state.street;
    buildCommunitySelect();
    communitySel.value = state.community;
  }
  function hashString() {
    var parts = ["period=" + encodeURIComponent(state.period)];
    if (state.street) parts.push("street=" + encodeURIComponent(state.street));
    if (state.community) parts.push("community=" + encodeURIComponent(state.community));
    return "#" + parts.join("&");
  }
  function writeHash() {
    var h = hashString();
    if (location.hash === h) return;
    try { history.replaceState(null, "", h); } catch (e) { location.hash = h; }
  }
  function readHash() {
    var h = (location.hash || "").replace(/^#/, ""), q = {};
    h.split("&").forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf("="), k = i < 0 ? kv : kv.slice(0, i), v = i < 0 ? "" : kv.slice(i + 1);
      try { q[k] = decodeURIComponent(v.replace(/\+/g, " ")); } catch (e) { q[k] = ""; }
    });
    state.period = D.quarters.indexOf(q.period) >= 0 ? q.period : META.default_period;
    state.street = ""; state.community = "";
    var legacy = q.scope && ENT[q.scope] ? q.scope : "";  // older links: #scope=<street or community>
    var street = q.street && ENT[q.street] && ENT[q.street].level === "street" ? q.street :
      (legacy && ENT[legacy].level === "street" ? legacy : "");
    var community = q.community && ENT[q.community] && ENT[q.community].level === "community" ? q.community :
      (legacy && ENT[legacy].level === "community" ? legacy : "");
    state.street = street;
    if (community) setCommunity(community);
  }
  function safely(name, fn) {
    try { fn(); } catch (e) { reportError("渲染“" + name + "”时出错：" + (e && e.message ? e.message : e)); if (window.console) console.error(e); }
  }
  function renderAll() {
    NARROW = window.innerWidth < 700;
    safely("数据时点", renderSnapshot);
    safely("报送覆盖", renderBanner);
    safely("核心指标", renderCards);
    safely("季度趋势", renderTrends);
    safely("单建率通报", renderBulletin);
    safely("应建未建清单", renderWorklist);
    safely("有党组织未建群团组织单位清单", renderNoMass);
    safely("待更正报表清单", renderPending);
    safely("街道、社区对比", renderDrill);
    safely("四个一批", renderGrowth);
    safely("专题指标", renderTopics);
    safely("双向进入等", renderWork);
    safely("指标明细", renderDetail);
    document.body.setAttribute("data-period", state.period);
    document.body.setAttribute("data-scope", scope());
    document.body.setAttribute("data-street", state.street);
    document.body.setAttribute("data-community", state.community);
    document.body.setAttribute("data-narrow", NARROW ? "1" : "0");
    document.body.setAttribute("data-ready", "1");
  }
  function changed() { syncSelects(); writeHash(); renderAll(); }

  if (!state.period) { reportError("服务快照中没有季度指标数据。"); return; }
  buildPeriodSelect();
  buildStreetSelect();
  readHash();
  syncSelects();
  periodSel.addEventListener("change", function () { state.period = periodSel.value; changed(); });
  streetSel.addEventListener("change", function () { state.street = streetSel.value; state.community = ""; changed(); });
  communitySel.addEventListener("change", function () {
    state.community = communitySel.value;
    if (state.community) setCommunity(state.community);
    changed();
  });
  window.addEventListener("hashchange", function () { readHash(); syncSelects(); renderAll(); });
  var lastNarrow = window.innerWidth < 700;
  window.addEventListener("resize", function () {
    var n = window.innerWidth < 700;
    if (n !== lastNarrow) { lastNarrow = n; renderAll(); }
  });
  makeSortable(document.getElementById("tb-bulletin"));
  makeSortable(document.getElementById("tb-worklist"));
  makeSortable(document.getElementById("tb-pending"));
  makeSortable(document.getElementById("tb-nomass"));
  writeHash();
  renderAll();
})();
