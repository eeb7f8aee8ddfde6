/* 两新组织党建统计看板 — renders the embedded data (no network). Code in English, everything shown in Chinese. */
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
  var IND = D.indicators, VAL = D.values, ENT = D.entities, META = D.meta;
  var FONT = META.font;
  var DISTRICT = META.district_code;
  var PALETTE = ["#c0392b", "#2e86c1", "#e67e22", "#27ae60", "#8e44ad", "#16a085", "#d4ac0d", "#7f8c8d",
                 "#e84393", "#2c3e50", "#a04000", "#1abc9c"];
  var SERIES = ["#c0392b", "#e67e22", "#2e86c1", "#27ae60", "#8e44ad", "#7f8c8d"];
  var state = { period: META.default_period, scope: "" };

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
      .replace(/"/g, "&quot;");
  }
  function isNum(v) { return typeof v === "number" && isFinite(v); }
  function ind(id) { return IND[id] || { name: id, kind: "count", den_name: "", num_name: "", target: "—" }; }
  function fmt(v, kind) {
    if (!isNum(v)) return "—";
    if (kind === "ratio") return (v * 100).toFixed(1) + "%";
    if (kind === "mean") return v.toFixed(2);
    if (Number.isInteger(v)) return v.toLocaleString("zh-CN");
    return v.toLocaleString("zh-CN", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  }
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
    return m ? m[1] + "年" + m[2] + "季度" : (/^\d{4}$/.test(p) ? p + "年" : p);
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
  function entity() { return state.scope || DISTRICT; }
  function entityName(code) { var e = ENT[code]; return e ? e.name : code; }
  function fractionText(id, r) {
    var i = ind(id);
    return "分子/分母：" + fmt(r ? r[1] : null, "count") + " / " + fmt(r ? r[2] : null, "count") +
      "（分母：" + (i.den_name || "—") + "）";
  }
  function tooltipText(id, r) {
    var i = ind(id), v = r ? r[0] : null;
    if (i.kind === "ratio" || i.kind === "mean") {
      return i.name + "：" + fmt(v, i.kind) + "；分子（" + i.num_name + "）" + fmt(r ? r[1] : null, "count") +
        "，分母（" + i.den_name + "）" + fmt(r ? r[2] : null, "count");
    }
    return i.name + "：" + fmt(v, i.kind) + "（" + i.num_name + "）";
  }
  function numAttr(v) { return isNum(v) ? String(v) : ""; }

  // ---------------------------------------------------------------- cards
  function cardHtml(id) {
    var i = ind(id), yearly = id === "K9";
    var p = yearly ? state.period.slice(0, 4) : state.period;
    var prev = yearly ? String(+state.period.slice(0, 4) - 1) : prevQuarter(state.period);
    var r = get(entity(), p, id);
    var v = r && isNum(r[0]) ? r[0] : null;
    var old = val(entity(), prev, id);
    var chg = fmtChange(v !== null && old !== null ? v - old : null, i.kind);
    var detail = (i.kind === "ratio" || i.kind === "mean") ? fractionText(id, r) : (i.num_name || "");
    return '<div class="card" data-indicator="' + esc(id) + '" data-value="' + numAttr(v) + '" data-period="' +
      esc(p) + '" title="' + esc(tooltipText(id, r)) + '">' +
      '<div class="card-title">' + esc(i.name) + '<span class="card-scope">' + esc(yearly ? p + "年度" : periodLabel(p)) + "</span></div>" +
      '<div class="card-value">' + esc(fmt(v, i.kind)) + "</div>" +
      '<div class="card-change ' + chgClass(chg) + '">' + (yearly ? "较上年" : "较上季") + " " + esc(chg) + "</div>" +
      '<div class="card-target">目标：' + esc(i.target) + "</div>" +
      '<div class="card-detail">' + esc(detail) + "</div></div>";
  }
  function renderSnapshot() {
    var snap = (D.snapshots || {})[state.period] || META.snapshot_date || "—";
    document.getElementById("lx-snapshot").textContent = snap;
  }
  function renderCards() {
    document.getElementById("lx-cards").innerHTML = META.headline.map(cardHtml).join("");
    document.getElementById("lx-headline-note").textContent = entityName(entity()) + " · " + periodLabel(state.period);
  }

  // ---------------------------------------------------------------- charts
  function hoverFor(kind, name) {
    var n = esc(name);
    if (kind === "ratio" || kind === "mean") {
      return "<b>" + n + "</b><br>%{x}：%{customdata[0]}<br>分子/分母：%{customdata[1]} / %{customdata[2]}" +
        "<br>分母：%{customdata[3]}<extra></extra>";
    }
    return "<b>" + n + "</b><br>%{x}：%{customdata[0]}<extra></extra>";
  }
  function customRow(id, r) {
    var i = ind(id);
    return [fmt(r ? r[0] : null, i.kind), fmt(r ? r[1] : null, "count"), fmt(r ? r[2] : null, "count"), i.den_name || "—"];
  }
  function seriesTrace(code, id, periods, type, color, extra) {
    var i = ind(id);
    var rows = periods.map(function (p) { return get(code, p, id); });
    var t = {
      type: type === "line" ? "scatter" : type,
      x: periods.map(axisLabel),
      y: rows.map(function (r) { return r && isNum(r[0]) ? r[0] : null; }),
      customdata: rows.map(function (r) { return customRow(id, r); }),
      hovertemplate: hoverFor(i.kind, i.name),
      name: i.name,
      marker: { color: color }
    };
    if (type === "line") { t.mode = "lines+markers"; t.line = { color: color, width: 2.5 }; t.connectgaps = false; }
    return Object.assign(t, extra || {});
  }
  function baseLayout(title, extra) {
    var l = {
      title: { text: title, font: { size: 15 }, x: 0.01, xanchor: "left" },
      font: { family: FONT, size: 12, color: "#1f2933" },
      hoverlabel: { font: { family: FONT } },
      margin: { l: 60, r: 24, t: 44, b: 96 },
      legend: { orientation: "h", x: 0, y: -0.22, yanchor: "top" },
      paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
      xaxis: { type: "category", automargin: true, tickangle: -30 },
      yaxis: { tickformat: ".0%", rangemode: "tozero", gridcolor: "#eceff3", automargin: true },
      height: 340
    };
    return Object.assign(l, extra || {});
  }
  function markPeriod(layout, label) {
    layout.shapes = [{ type: "line", xref: "x", yref: "paper", x0: label, x1: label, y0: 0, y1: 1,
                       line: { color: "#9aa5b1", width: 1, dash: "dot" } }];
    return layout;
  }
  function plot(id, traces, layout) {
    var el = document.getElementById(id);
    if (!el) return;
    var any = traces.some(function (t) { return (t.y || []).some(function (v) { return v !== null && v !== undefined; }); });
    if (!any) {
      layout.annotations = [{ text: "暂无数据", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5,
                              font: { size: 16, color: "#9aa5b1" } }];
      layout.xaxis = Object.assign({}, layout.xaxis, { visible: false });
      layout.yaxis = Object.assign({}, layout.yaxis, { visible: false });
      if (layout.yaxis2) layout.yaxis2 = Object.assign({}, layout.yaxis2, { visible: false });
      layout.showlegend = false;
      layout.shapes = [];
    }
    // counts: with small numbers, ticks every 1 (",d" would otherwise print repeated labels such as 1, 1, 2, 2)
    ["yaxis", "yaxis2"].forEach(function (ax) {
      if (!layout[ax] || layout[ax].tickformat !== ",d") return;
      var name = ax === "yaxis" ? "y" : "y2", sums = {};
      traces.forEach(function (t) {
        if ((t.yaxis || "y") !== name) return;
        (t.y || []).forEach(function (v, k) { if (isNum(v) && v > 0) sums[k] = (sums[k] || 0) + v; });
      });
      var max = 0;
      Object.keys(sums).forEach(function (k) { max = Math.max(max, sums[k]); });
      if (max <= 8) layout[ax] = Object.assign({}, layout[ax], { dtick: 1 });
    });
    // few categories: keep bars from filling the whole width
    var cats = {};
    traces.forEach(function (t) { if (t.type === "bar") (t.x || []).forEach(function (x) { cats[x] = 1; }); });
    var ncat = Object.keys(cats).length;
    if (ncat && ncat <= 3 && layout.bargap === undefined) layout.bargap = ncat === 1 ? 0.7 : 0.5;
    Plotly.react(el, traces, layout, CONFIG);
  }
  function quarterChart(divId, title, ids, opts) {
    opts = opts || {};
    var code = entity();
    var traces = ids.map(function (id, k) { return seriesTrace(code, id, D.quarters, opts.type || "line", SERIES[k % SERIES.length]); });
    var layout = baseLayout(title + " · " + entityName(code), opts.layout);
    if (opts.counts) layout.yaxis = Object.assign({}, layout.yaxis, { tickformat: ",d" });
    plot(divId, traces, markPeriod(layout, axisLabel(state.period)));
  }
  function yearChart(divId, title, ids, opts) {
    opts = opts || {};
    var code = entity();
    var traces = ids.map(function (id, k) { return seriesTrace(code, id, D.years, "bar", SERIES[k % SERIES.length]); });
    var layout = baseLayout(title + " · " + entityName(code), { barmode: "group" });
    if (opts.counts) layout.yaxis = Object.assign({}, layout.yaxis, { tickformat: ",d" });
    plot(divId, traces, markPeriod(layout, axisLabel(state.period.slice(0, 4))));
  }

  function renderTrends() {
    quarterChart("ch-trend-coverage", "覆盖率季度趋势", ["K1", "K2", "K3", "K4"]);
    quarterChart("ch-trend-members", "党员总数", ["M"], { type: "bar", counts: true });
  }

  function renderGrowth() {
    var code = entity(), qs = D.quarters, x = qs.map(axisLabel);
    var traces = ["K7a", "K7b", "K7c", "K7d"].map(function (id, k) {
      return seriesTrace(code, id, qs, "bar", SERIES[k]);
    });
    var q = ind("K7q");
    var rows = qs.map(function (p) { return get(code, p, "K7q"); });
    traces.push({
      type: "scatter", mode: "lines+markers", name: "本年累计发展党员", x: x,
      y: rows.map(function (r) { return r && isNum(r[1]) ? r[1] : null; }),
      customdata: rows.map(function (r) { return customRow("K7q", r); }),
      line: { color: "#2c3e50", width: 2 }, marker: { color: "#2c3e50" },
      hovertemplate: "<b>本年累计发展党员</b><br>%{x}：%{customdata[1]}<br>" + esc(q.name) +
        "：%{customdata[0]}（%{customdata[1]} / %{customdata[2]}）<br>分母：%{customdata[3]}<extra></extra>"
    });
    traces.push({
      type: "scatter", mode: "lines+markers", name: "本年发展计划数", x: x, marker: { color: "#7f8c8d", symbol: "line-ew-open", size: 12 },
      y: rows.map(function (r) { return r && isNum(r[2]) ? r[2] : null; }),
      customdata: rows.map(function (r) { return customRow("K7q", r); }),
      line: { color: "#7f8c8d", width: 2, dash: "dash", shape: "hv" },
      hovertemplate: "<b>本年发展计划数</b><br>%{x}：%{customdata[2]}<br>" + esc(q.name) + "：%{customdata[0]}<extra></extra>"
    });
    var layout = baseLayout("四个一批（按季度）与发展计划 · " + entityName(code), {
      barmode: "relative", height: 400, yaxis: { tickformat: ",d", rangemode: "tozero", gridcolor: "#eceff3", title: { text: "人数" } }
    });
    plot("ch-growth", traces, markPeriod(layout, axisLabel(state.period)));
  }

  function renderTopics() {
    yearChart("ch-training", "培训全覆盖（年度）", ["K9", "K9b", "K10", "K11"]);
    quarterChart("ch-orglife-q", "组织生活（季度）", ["K13", "K15"]);
    yearChart("ch-orglife-y", "组织生活与阵地（年度）", ["K14a", "K14b", "K15y", "K16"]);
    quarterChart("ch-mobile", "流动党员管理", ["K18", "K18b", "K18c_in", "K18c_out"]);
    // funds: K17 (ratio, left axis) and K17f (count, right axis)
    var code = entity();
    var t1 = seriesTrace(code, "K17", D.years, "bar", SERIES[0]);
    var t2 = seriesTrace(code, "K17f", D.years, "line", SERIES[2], { yaxis: "y2" });
    var lf = baseLayout("党建工作经费（年度） · " + entityName(code), {
      margin: { l: 60, r: 70, t: 44, b: 96 },
      yaxis2: { automargin: true, overlaying: "y", side: "right", tickformat: ",d", rangemode: "tozero", showgrid: false,
                title: { text: "企业数" } }
    });
    plot("ch-funds", [t1, t2], markPeriod(lf, axisLabel(state.period.slice(0, 4))));
    yearChart("ch-inspection", "年检（年度）", ["K19"]);
    quarterChart("ch-timeliness", "按期报送（季度）", ["K20"]);
    quarterChart("ch-coverage-extra", "指导员与群团组织覆盖", ["K5", "K6_union", "K6_youth", "K6_women"]);
  }

  function renderDrill() {
    var p = state.period;
    // streets: K1 and K2 side by side
    var streets = D.streets;
    var sx = streets.map(entityName);
    var st = ["K1", "K2"].map(function (id, k) {
      var i = ind(id);
      var rows = streets.map(function (s) { return get(s, p, id); });
      return { type: "bar", name: i.name, x: sx, marker: { color: SERIES[k] },
               y: rows.map(function (r) { return r && isNum(r[0]) ? r[0] : null; }),
               customdata: rows.map(function (r) { return customRow(id, r); }),
               hovertemplate: hoverFor(i.kind, i.name) };
    });
    plot("ch-drill-street", st, baseLayout("各街道单建率、覆盖率 · " + periodLabel(p), { barmode: "group" }));
    // streets: K3b split
    var kt = [["K3b_joint", "#e67e22"], ["K3b_functional", "#2e86c1"], ["K3b_none", "#c0392b"]].map(function (a) {
      var i = ind(a[0]);
      var rows = streets.map(function (s) { return get(s, p, a[0]); });
      return { type: "bar", name: i.name.replace(/^应建未建单位数：/, ""), x: sx, marker: { color: a[1] },
               y: rows.map(function (r) { return r && isNum(r[0]) ? r[0] : null; }),
               customdata: rows.map(function (r) { return customRow(a[0], r); }),
               hovertemplate: hoverFor(i.kind, i.name) };
    });
    plot("ch-drill-k3b", kt, baseLayout("各街道应建未建单位数 · " + periodLabel(p),
      { barmode: "stack", yaxis: { tickformat: ",d", rangemode: "tozero", gridcolor: "#eceff3" } }));
    // communities: K1 bars coloured by street, K2 as markers
    var byStreet = {}, order = [];
    D.communities.forEach(function (c) {
      var s = (ENT[c] && ENT[c].street) || "";
      if (!(s in byStreet)) { byStreet[s] = []; order.push(s); }
      byStreet[s].push(c);
    });
    var traces = [], allX = [], k2rows = [], k2codes = [];
    var k1 = ind("K1"), k2 = ind("K2");
    order.forEach(function (s, k) {
      var codes = byStreet[s].filter(function (c) { return get(c, p, "K1") || get(c, p, "K2"); });
      if (!codes.length) return;
      var rows = codes.map(function (c) { return get(c, p, "K1"); });
      var sname = (D.street_names && D.street_names[s]) || entityName(s) || "其他";
      traces.push({ type: "bar", name: "单建率 · " + sname, legendgroup: s, x: codes.map(entityName),
                    marker: { color: PALETTE[k % PALETTE.length] },
                    y: rows.map(function (r) { return r && isNum(r[0]) ? r[0] : null; }),
                    customdata: rows.map(function (r, j) { return customRow("K1", r).concat([codes[j]]); }),
                    hovertemplate: "<b>%{x}</b><br>" + esc(k1.name) + "：%{customdata[0]}<br>分子/分母：%{customdata[1]} / " +
                      "%{customdata[2]}<br>分母：%{customdata[3]}<extra>" + esc(sname) + "</extra>" });
      codes.forEach(function (c) { allX.push(entityName(c)); k2rows.push(get(c, p, "K2")); k2codes.push(c); });
    });
    traces.push({ type: "scatter", mode: "markers", name: k2.name, x: allX,
                  marker: { symbol: "diamond", size: 9, color: "#1f2933" },
                  y: k2rows.map(function (r) { return r && isNum(r[0]) ? r[0] : null; }),
                  customdata: k2rows.map(function (r, j) { return customRow("K2", r).concat([k2codes[j]]); }),
                  hovertemplate: "<b>%{x}</b><br>" + esc(k2.name) + "：%{customdata[0]}<br>分子/分母：%{customdata[1]} / " +
                    "%{customdata[2]}<br>分母：%{customdata[3]}<extra></extra>" });
    var layout = baseLayout("各社区单建率（柱，按街道着色）与党组织覆盖率（◆） · " + periodLabel(p), {
      height: 460, margin: { l: 60, r: 24, t: 44, b: 150 },
      xaxis: { type: "category", tickangle: -60, automargin: true, categoryorder: "array", categoryarray: allX },
      legend: { orientation: "h", x: 0, y: 1.0, yanchor: "bottom" }, bargap: 0.25
    });
    layout.title.y = 0.98;
    layout.margin.t = 80;
    var el = document.getElementById("ch-drill-community");
    plot("ch-drill-community", traces, layout);
    if (!el._lxClick && el.on) {
      el._lxClick = true;
      el.on("plotly_click", function (ev) {
        var pt = ev && ev.points && ev.points[0];
        var code = pt && pt.customdata && pt.customdata[4];
        if (code && ENT[code]) { state.scope = code; document.getElementById("lx-scope").value = code; renderAll(); }
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
    if (!state.scope) return true;
    if (state.scope === code) return true;
    return ENT[code] && ENT[code].street === state.scope;
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
    document.getElementById("lx-bulletin-note").textContent = periodLabel(p) + " · 按单建率从高到低排名（并列同名次；“—”为本期无报表或分母为0），共 " +
      rows.length + " 个社区" + (state.scope ? "（" + entityName(state.scope) + "）" : "") + " · 点击表头可排序";
  }
  function renderWorklist() {
    var p = state.period, note = document.getElementById("lx-worklist-note");
    var table = document.getElementById("tb-worklist");
    if (META.worklist_source === "absent") {
      table.innerHTML = '<tbody><tr><td class="txt">服务快照中没有应建未建清单（数据表 kpi_worklist_should_form）。</td></tr></tbody>';
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
    note.textContent = periodLabel(p) + " · 共 " + rows.length + " 家" +
      (rows.length ? "（" + Object.keys(counts).map(function (k) { return k + " " + counts[k]; }).join("，") + "）" : "") +
      (state.scope ? " · " + entityName(state.scope) : "");
  }
  function renderDetail() {
    var code = entity(), p = state.period, y = p.slice(0, 4), prev = prevQuarter(p);
    var head = "<thead><tr>" + th("指标", "txt") + th("分类", "txt") + th(periodLabel(p)) + th("分子/分母") + th("较上季") +
      th(y + "年度") + th("分子/分母") + th("目标", "txt") + th("分母口径", "txt") + "</tr></thead>";
    var body = Object.keys(IND).map(function (id) {
      var i = IND[id], rq = i.quarterly ? get(code, p, id) : null, ry = i.yearly ? get(code, y, id) : null;
      var frac = function (r) {
        return (i.kind === "ratio" || i.kind === "mean") && r ? fmt(r[1], "count") + " / " + fmt(r[2], "count") : "";
      };
      var oq = i.quarterly ? val(code, prev, id) : null, vq = rq && isNum(rq[0]) ? rq[0] : null;
      var c = i.quarterly ? fmtChange(vq !== null && oq !== null ? vq - oq : null, i.kind) : "";
      return "<tr>" + td(esc(i.name), i.name, "txt", id) + td(esc(i.group), i.group, "txt") +
        td(i.quarterly ? esc(fmt(rq ? rq[0] : null, i.kind)) : "", "", "", i.quarterly ? tooltipText(id, rq) : "") +
        td(esc(frac(rq)), "") + td(c ? '<span class="' + chgClass(c, id) + '">' + esc(c) + "</span>" : "", "") +
        td(i.yearly ? esc(fmt(ry ? ry[0] : null, i.kind)) : "", "", "", i.yearly ? tooltipText(id, ry) : "") +
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

  // ---------------------------------------------------------------- wiring
  function buildScopeSelect() {
    var sel = document.getElementById("lx-scope");
    var html = '<option value="">' + esc(entityName(DISTRICT)) + "（全区）</option>";
    if (D.streets.length) {
      html += '<optgroup label="街道">' + D.streets.map(function (s) {
        return '<option value="' + esc(s) + '">' + esc(entityName(s)) + "</option>";
      }).join("") + "</optgroup>";
    }
    var groups = {}, order = [];
    D.communities.forEach(function (c) {
      var s = (ENT[c] && ENT[c].street) || "";
      if (!(s in groups)) { groups[s] = []; order.push(s); }
      groups[s].push(c);
    });
    order.forEach(function (s) {
      var label = "社区 · " + ((D.street_names && D.street_names[s]) || "其他");
      html += '<optgroup label="' + esc(label) + '">' + groups[s].map(function (c) {
        return '<option value="' + esc(c) + '">' + esc(entityName(c)) + "</option>";
      }).join("") + "</optgroup>";
    });
    sel.innerHTML = html;
  }
  function safely(name, fn) {
    try { fn(); } catch (e) { reportError("渲染“" + name + "”时出错：" + (e && e.message ? e.message : e)); if (window.console) console.error(e); }
  }
  function renderAll() {
    safely("数据时点", renderSnapshot);
    safely("核心指标", renderCards);
    safely("季度趋势", renderTrends);
    safely("单建率通报", renderBulletin);
    safely("应建未建清单", renderWorklist);
    safely("街道、社区对比", renderDrill);
    safely("四个一批", renderGrowth);
    safely("专题指标", renderTopics);
    safely("指标明细", renderDetail);
    document.body.setAttribute("data-period", state.period);
    document.body.setAttribute("data-scope", state.scope);
    document.body.setAttribute("data-ready", "1");
  }
  function readHash() {
    var h = (location.hash || "").replace(/^#/, "");
    h.split("&").forEach(function (kv) {
      var a = kv.split("="), k = a[0], v = decodeURIComponent(a[1] || "");
      if (k === "period" && D.quarters.indexOf(v) >= 0) state.period = v;
      if (k === "scope" && (v === "" || ENT[v])) state.scope = v === DISTRICT ? "" : v;
    });
  }

  if (!state.period) { reportError("服务快照中没有季度指标数据。"); return; }
  buildScopeSelect();
  readHash();
  var periodSel = document.getElementById("lx-period"), scopeSel = document.getElementById("lx-scope");
  periodSel.value = state.period;
  scopeSel.value = state.scope;
  periodSel.addEventListener("change", function () { state.period = periodSel.value; renderAll(); });
  scopeSel.addEventListener("change", function () { state.scope = scopeSel.value; renderAll(); });
  makeSortable(document.getElementById("tb-bulletin"));
  makeSortable(document.getElementById("tb-worklist"));
  renderAll();
})();
