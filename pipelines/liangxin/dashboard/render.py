"""The dashboard's page: one self-contained, offline ``index.html`` (``liangxin.dashboard``).

The template ``liangxin/templates/dashboard.html.j2`` (Jinja2, autoescape on) embeds everything the page needs:

* Plotly's JavaScript, inlined once (no CDN, no network, no external fonts);
* the data of ``liangxin.dashboard.data.load_dashboard_data`` as compact JSON (``<``, ``>``, ``&`` escaped);
* a small vanilla-JS application (``dashboards/static/dashboard.js``, styles ``dashboard.css``) that renders the
  cards, tables and charts for the selected quarter and scope, and re-renders when the selectors change.

The headline cards of the default period (the latest complete quarter, whole district) are also rendered
server-side (the template's ``card`` macro), each in an element carrying ``data-indicator`` / ``data-value`` (and
``data-reported`` / ``data-expected`` for its coverage) so that tests and browsers can read the numbers.  The page
keeps its state (period, street, community) in the URL hash: ``index.html#period=2021Q4&street=…&community=…``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from liangxin import paths, templating
from liangxin.dashboard.data import HEADLINE, YEARLY_HEADLINE, _plain, load_dashboard_data
from liangxin.periods import PERIOD_RE, previous_period

STATIC_DIR = paths.PROJECT_ROOT / "dashboards" / "static"


def num_attr(v: Any) -> str:
    """The ``data-value`` text of a number (the same text JavaScript's ``String(n)`` gives; NULL → "")."""
    v = _plain(v)
    if v is None:
        return ""
    return str(v) if isinstance(v, int) else repr(v)


def fmt_value(v: Any, kind: str, reason: str | None = None) -> str:
    v = _plain(v)
    if v is None:
        return reason or "—"
    if kind == "ratio":
        return f"{v * 100:.1f}%"
    if kind == "mean":
        return f"{v:.2f}"
    return f"{v:,}" if isinstance(v, int) else f"{v:,.1f}"


def fmt_change(delta: Any, kind: str) -> str:
    delta = _plain(delta)
    if delta is None:
        return "—"
    if kind == "ratio":
        pts = round(delta * 100, 1)
        body = f"{abs(pts):.1f}个百分点"
    elif kind == "mean":
        pts = round(delta, 2)
        body = f"{abs(pts):.2f}"
    else:
        pts = delta
        body = f"{abs(delta):,}" if isinstance(delta, int) else f"{abs(delta):,.1f}"
    if pts > 0:
        return "▲" + body
    if pts < 0:
        return "▼" + body
    return "持平"


def period_label(period: str) -> str:
    m = PERIOD_RE.match(period or "")
    if m:
        return f"{m.group(1)}年第{m.group(2)}季度"
    return f"{period}年" if re.fullmatch(r"\d{4}", period or "") else str(period)


def coverage_text(cov: list[int] | None) -> str:
    """已报 N/M, with 不完整 when below the threshold (the same text the page's script writes)."""
    if not cov:
        return "已报 —"
    n, m, complete = cov
    return f"已报 {n}/{m}" + ("" if complete else " · 不完整")


def banner_text(period: str, cov: list[int] | None, default_reason: str | None) -> str:
    """The coverage banner of the whole district (the page's script writes the same, plus the scope's)."""
    text = f"{period_label(period)}：全区" + (f"已报 {cov[0]}/{cov[1]}" if cov else "已报 —") + " 个社区"
    if cov and cov[2]:
        return text + " · 完整"
    text += " · 不完整：本页数字只含已报社区，不代表全区全貌"
    return text + ("（目前没有报送完整的季度）" if default_reason == "none_complete" else "")


def _card(data: dict[str, Any], iid: str, period: str, entity: str) -> dict[str, Any]:
    """One headline card of the default period, for the template's ``card`` macro."""
    ind = data["indicators"].get(iid, {"name": iid, "kind": "count", "target": "—", "den_name": "", "num_name": ""})
    kind = ind["kind"]
    yearly = iid in YEARLY_HEADLINE
    p = period[:4] if yearly else period
    prev = str(int(period[:4]) - 1) if yearly else (previous_period(period) if PERIOD_RE.match(period) else "")
    per = data["values"].get(entity, {})
    cell = per.get(p, {}).get(iid) or [None, None, None]
    v, num, den = cell[:3]
    reason = cell[3] if len(cell) > 3 else None
    old = (per.get(prev, {}).get(iid) or [None])[0]
    delta = v - old if v is not None and old is not None else None
    chg = fmt_change(delta, kind)
    if kind in ("ratio", "mean"):
        fraction = f"{fmt_value(num, 'count')} / {fmt_value(den, 'count')}"
        detail = f"分子/分母：{fraction}（分母：{ind['den_name'] or '—'}）"
        tip = (
            f"{ind['name']}：{fmt_value(v, kind, reason)}；分子（{ind['num_name']}）{fmt_value(num, 'count')}，"
            f"分母（{ind['den_name']}）{fmt_value(den, 'count')}"
        )
    else:
        detail = ind["num_name"] or ""
        tip = f"{ind['name']}：{fmt_value(v, kind, reason)}（{ind['num_name']}）"
    cov = data.get("coverage", {}).get(entity, {}).get(p)
    return {
        "iid": iid,
        "value_attr": num_attr(v),
        "period": p,
        "reported": cov[0] if cov else "",
        "expected": cov[1] if cov else "",
        "tip": tip,
        "name": ind["name"],
        "scope": f"{p}年度" if yearly else period_label(p),
        "value": fmt_value(v, kind, reason),
        "change_class": "up" if chg.startswith("▲") else "down" if chg.startswith("▼") else "flat",
        "change_label": "较上年" if yearly else "较上季",
        "change": chg,
        "target": str(ind["target"]),
        "detail": detail,
        "coverage_class": "card-coverage" + ("" if cov and cov[2] else " incomplete"),
        "coverage": coverage_text(cov),
        "explain": explain_command(iid, entity, p),
    }


def explain_command(iid: str, entity: str, period: str) -> str:
    """The click-through of a card: the ``liangxin explain`` command that lists where its value comes from."""
    return f"liangxin explain {iid} --unit {entity} --period {period}"


def _json_for_script(obj: Any) -> str:
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render_html(data: dict[str, Any]) -> str:
    """The complete page for already loaded data (template ``templates/dashboard.html.j2``)."""
    from plotly.offline import get_plotlyjs

    period = data["meta"]["default_period"]
    entity = data["meta"]["district_code"]
    district_cov = data.get("coverage", {}).get(entity, {})
    cov = district_cov.get(period)
    return templating.render(
        "dashboard.html.j2",
        title=data["meta"]["title"],
        district=data["meta"]["district_name"],
        snapshot=str(data["meta"]["snapshot_date"] or "—"),
        generated=data["meta"]["generated_at"],
        periods=[
            {
                "value": q,
                "label": period_label(q),
                "selected": q == period,
                "complete": bool(district_cov.get(q, [0, 0, 0])[2]),
            }
            for q in reversed(data["quarters"])
        ],
        banner=banner_text(period, cov, data["meta"].get("default_reason")) if period else "",
        banner_class="complete" if cov and cov[2] else "incomplete",
        annual_years=data.get("annual_years", []),
        cards=[_card(data, iid, period, entity) for iid in HEADLINE] if period else [],
        css=(STATIC_DIR / "dashboard.css").read_text(encoding="utf-8"),
        plotlyjs=get_plotlyjs(),
        data_json=_json_for_script(data),
        appjs=(STATIC_DIR / "dashboard.js").read_text(encoding="utf-8"),
    )


def render_dashboard(serve_db: Path, out_dir: Path) -> Path:
    """Write ``out_dir/index.html`` (self-contained, offline) from the serving snapshot; returns its path."""
    out_dir = Path(out_dir)
    data = load_dashboard_data(serve_db, out_dir)
    page = render_html(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    tmp = out_dir / ".index.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)
    return target
