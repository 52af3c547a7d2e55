"""Page furniture every page shares: the scope line, empty states, charts with their numbers.

The trust rules live here so no page can forget them: every chart has an expander with the
frame behind it; an aggregate says how many reports it rests on and how many of those have
audit errors; demo data is labelled 示例数据 wherever it is in the selection; an empty
selection says why it is empty and what to change; names that came from report files are
shown as text (``safe``), never as Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import fmt, labels, queries, safe
from dashboard.db import q
from dashboard.measures import GAP_SHARE, MIN_DENOMINATOR, Measure, scalar, small_base
from dashboard.selection import Selection

REPORT_PAGE = "views/report.py"

# A report's audit findings as a table (报告详情, 导入报告): column -> header.
FINDING_COLUMNS = {
    "rule": "规则",
    "title": "检查内容",
    "severity": "级别",
    "message": st.column_config.TextColumn("说明", width="large"),
    "expected": "应为",
    "actual": "填报",
    "cells": "涉及单元格",
}


def scope_text(sel: Selection, names: Mapping[str, str] | None = None) -> str:
    """The selection in words: "黑龙江省 · 佳木斯市 · 2019–2024年 · 政府部门"."""
    parts = [p for p in (sel.province, sel.city, sel.county) if p]
    if sel.organ_id:
        parts.append((names or {}).get(sel.organ_id, sel.organ_id))
    if not parts:
        parts.append("全部地区")
    if sel.year_from is not None and sel.year_to is not None:
        if sel.year_from == sel.year_to:
            parts.append(f"{sel.year_from}年")
        else:
            parts.append(f"{sel.year_from}–{sel.year_to}年")
    parts.append(labels.ORGAN_KINDS.get(sel.kind or "", "全部机关"))
    if sel.same_organs:
        parts.append("仅每年都有报告的机关")
    if not sel.include_demo:
        parts.append(f"不含{labels.DEMO}")
    return " · ".join(parts)


def header(title: str, sel: Selection, summary: pl.DataFrame, names: Mapping[str, str]) -> bool:
    """Title, scope line, report counts, the 示例数据 notice and the 人工更正 note; False when
    nothing is selected."""
    st.title(title)
    row = summary.row(0, named=True) if summary.height else {}
    reports = int(row.get("reports") or 0)
    errors = int(row.get("error_reports") or 0)
    demo = int(row.get("demo_reports") or 0)
    counts = f"{fmt.num(reports)} 份报告 · {fmt.num(row.get('organs') or 0)} 个机关"
    if errors:
        counts += f" · 其中 {fmt.num(errors)} 份有审核错误"
    st.caption(f"{safe.md(scope_text(sel, names))}　｜　{counts}")
    if reports and demo:
        share = "全部" if demo == reports else f"其中 {fmt.num(demo)} 份"
        st.warning(
            f"**{labels.DEMO}**：当前视图{share}报告是生成的示例数据，不是真实报告。"
            "可在侧栏关闭“包含示例数据”。",
            icon=":material/science:",
        )
    elif reports:
        # A Material icon (bundled with Streamlit), not an emoji: the CJK fonts have no ✅.
        st.caption(f":material/verified: 当前视图只含{labels.REAL}（导入的真实年度报告）。")
    if reports:
        corrections_note(sel)
    if not reports:
        empty(sel)
        return False
    return True


def corrections_note(sel: Selection) -> None:
    """Said once, under every analysis page's title: a reader checking a figure against the
    printed reports must know when the selection's figures rest on corrected values."""
    fixes = q(queries.corrections_in, sel)
    if fixes:
        st.caption(
            f":material/edit_note: 所选范围的数字含 {fmt.num(fixes)} 处人工更正："
            "编辑人员更正了报告中印错的数字或报告信息，各页按更正后的数值计算（原表数值与更正记录见报告详情）。"
        )


def empty(sel: Selection, what: str = "报告") -> None:
    """Explain an empty selection: which filters exclude everything, and what to change."""
    hints = []
    if sel.same_organs:
        hints.append("关闭“仅看每年都有报告的机关”（所选年份内没有机关每年都有报告）")
    if sel.organ_id or sel.county or sel.city or sel.province:
        hints.append("放宽地区或机关的选择")
    if sel.kind:
        hints.append("把机关类型改为“全部”")
    if not sel.include_demo:
        hints.append(f"打开“包含{labels.DEMO}”")
    if sel.year_from is not None:
        hints.append("扩大年份范围")
    tip = "；".join(hints) if hints else "先用 `xxgk ingest` 导入报告"
    st.info(f"当前筛选条件下没有{what}。可以试试：{tip}。", icon=":material/search:")


def rests_on(reports: int, errors: int = 0, demo: int = 0) -> str:
    text = f"基于 {fmt.num(reports)} 份报告"
    if errors:
        text += f"（{fmt.num(errors)} 份有审核错误）"
    if demo:
        text += f"，含{labels.DEMO} {fmt.num(demo)} 份"
    return text


def reports_by_year(frame: pl.DataFrame) -> str:
    """ "报告数：2019年 12 份；2020年 12 份（2 份有审核错误）…" from year/reports/error_reports."""
    parts = []
    for row in frame.iter_rows(named=True):
        text = f"{row['year']}年 {fmt.num(row['reports'])} 份"
        if row.get("error_reports"):
            text += f"（{fmt.num(row['error_reports'])} 份有审核错误）"
        parts.append(text)
    return "报告数：" + "；".join(parts) + "。"


def data_expander(frame: pl.DataFrame, columns: Mapping[str, str], label: str = "查看数据") -> None:
    """The numbers behind a chart, with Chinese column names."""
    with st.expander(label):
        shown = frame.select([c for c in columns if c in frame.columns]).rename(
            {k: v for k, v in columns.items() if k in frame.columns}
        )
        st.dataframe(shown, hide_index=True, width="stretch")


def chart(
    fig: go.Figure,
    frame: pl.DataFrame,
    columns: Mapping[str, str],
    key: str,
    *,
    caption: str | None = None,
    selectable: bool = False,
) -> list[dict]:
    """Draws a figure with its numbers one click away; returns the clicked points."""
    points: list[dict] = []
    if selectable:
        event = st.plotly_chart(
            fig,
            key=key,
            on_select="rerun",
            selection_mode="points",
            config={"displaylogo": False},
        )
        try:
            points = list(event.selection.points)  # type: ignore[union-attr]
        except AttributeError:
            points = []
    else:
        st.plotly_chart(fig, key=key, config={"displaylogo": False})
    if caption:
        st.caption(caption)
    data_expander(frame, columns)
    return points


def report_link(report_id: str, label: str, *, key: str | None = None) -> None:
    """A link to one report; ``label`` is plain text (it usually holds an organ's name)."""
    st.page_link(
        REPORT_PAGE,
        label=safe.md(label),
        icon=":material/description:",
        query_params={"report": report_id},
    )


def report_label(organ: str, year: int, is_demo: bool, has_errors: bool) -> str:
    tags = []
    if is_demo:
        tags.append(labels.DEMO)
    if has_errors:
        tags.append("有审核错误")
    suffix = f"（{'，'.join(tags)}）" if tags else ""
    return f"{organ} · {year}年{suffix}"


def links_to_reports(frame: pl.DataFrame, title: str) -> None:
    """Links to the reports behind a clicked point (``queries.reports_behind``); ``title`` is
    plain text."""
    if frame.is_empty():
        return
    with st.container(border=True):
        st.markdown(f"**{safe.md(title)}**（点击打开报告详情）")
        for row in frame.head(30).iter_rows(named=True):
            report_link(
                row["report_id"],
                report_label(row["organ"], row["year"], row["is_demo"], row["has_errors"])
                + (
                    f" — 收到申请 {fmt.num(row['received'])} 件"
                    if row["received"] is not None
                    else ""
                ),
            )
        if frame.height > 30:
            st.caption(f"另有 {frame.height - 30} 份未列出；可在侧栏缩小范围。")


def definition(text: str) -> None:
    st.caption(f"ⓘ 口径：{text}")


def badge_demo() -> str:
    return f":violet-badge[{labels.DEMO}]"


def badge_real() -> str:
    return f":green-badge[{labels.REAL}]"


def badge_errors() -> str:
    return ":red-badge[有审核错误]"


def error_caption() -> str:
    """The one sentence every view with ⚠ marks says about them."""
    return "“⚠ k/n 份有错”：这个数所依据的 n 份报告中有 k 份有审核错误；过半有错时条形另加斜纹。"


def coverage_caption(coverage: Mapping[int, int] | None, organs: int, every_year: int) -> str:
    """What the organ counts under the years mean, and how to compare like with like."""
    if not coverage:
        return ""
    low, high = min(coverage.values()), max(coverage.values())
    spread = f"{low}–{high} 个" if low != high else f"各 {low} 个"
    return (
        f"横轴年份下为当年有报告的机关数（{spread}，共 {organs} 个）：合计随有报告的机关"
        "多少而起落，不全是实际增减。"
        + (
            f"侧栏打开“仅看每年都有报告的机关”可只看同一批 {every_year} 个机关。"
            if every_year
            else "所选年份内没有每年都有报告的机关。"
        )
    )


def gap_hover(gap: tuple[int, float] | None, unit: str = "件") -> str:
    """The hover line of a year whose total lacks organs that reported the year before."""
    if not gap:
        return ""
    organs, lost = gap
    return f"；另有 {organs} 个机关本年没有报告，它们上年为 {fmt.num(lost, unit)}，未计入"


def gap_caption(years: Mapping[int, tuple[int, float]], marker: str = "空心点") -> str:
    """What the marked years of a total mean (``measures.material_gaps``)."""
    if not years:
        return ""
    listed = "、".join(f"{y}年" for y in sorted(years))
    return (
        f"{marker}（{listed}）：该年有上一年报告过的机关没有报告，它们上一年的数"
        f"占该年合计的 {round(GAP_SHARE * 100)}% 以上，不在合计中：下降不代表实际减少"
        "（悬停可见缺了多少）。"
    )


def _delta_text(m: Measure, now: float | None, before: float | None) -> str | None:
    return fmt.points(now, before) if m.is_rate else fmt.change(now, before)


def kpi(
    m: Measure,
    cur: dict | None,
    same: tuple[dict | None, dict | None] = (None, None),
    prev_year: int | None = None,
) -> None:
    """One KPI: its value for the selection's year, and the change since ``prev_year`` on
    ``same`` (this year's and last year's sums over the organs that reported in both), so
    the arrow never moves because an organ's report is missing one year.

    A rate on too few cases, and a count's change on too small a base (2 → 6 is "+200%"),
    are greyed and say so, not hidden.
    """
    value, den, small = scalar(cur, m)
    text = fmt.pct(value) if m.is_rate else fmt.num(value, m.unit)
    helptext = m.definition
    if cur:
        helptext += f"。{rests_on(cur['reports'], cur['error_reports'], cur['demo_reports'])}"
    if m.is_rate and den is not None:
        helptext += f"；分母 {fmt.num(den)} 件"
    if small and value is not None:
        st.metric(
            f":gray[{m.label}]",
            text,
            delta="样本少，仅供参考",
            delta_color="off",
            delta_arrow="off",
            help=helptext + f"；分母不足 {MIN_DENOMINATOR} 件，比率仅供参考，不作比较",
        )
        return
    now, _, _ = scalar(same[0], m)
    before, before_den, before_small = scalar(same[1], m)
    delta = _delta_text(m, now, before)
    if delta is None or prev_year is None:
        st.metric(m.label, text, help=helptext)
        return
    helptext += f"；箭头为与{prev_year}年相比的变化，只比较两年都有报告的机关"
    if m.is_rate and before_small:
        st.metric(
            m.label,
            text,
            delta=delta,  # greyed; a longer badge would be cut off in a fifth of the page
            delta_color="off",
            help=helptext + f"（{prev_year}年分母仅 {fmt.num(before_den)} 件，变化仅供参考）",
        )
        return
    if not m.is_rate and small_base(before):
        st.metric(
            m.label,
            text,
            delta=f"{delta}·基数小",
            delta_color="off",
            help=helptext + f"（{prev_year}年仅 {fmt.num(before, m.unit)}，变化率仅供参考）",
        )
        return
    if fmt.is_flat(delta):
        st.metric(
            m.label, text, delta="与上年持平", delta_color="off", delta_arrow="off", help=helptext
        )
        return
    color = {"up": "normal", "down": "inverse"}.get(m.better or "", "off")
    st.metric(m.label, text, delta=delta, delta_color=color, help=helptext)  # type: ignore[arg-type]


def reports_behind_clicked(
    points: list, sel: Selection, level: str, year: int, names: Mapping[str, str]
) -> None:
    """A bar of a per-unit chart (``customdata[0]`` = the unit) was clicked: list its reports."""
    if not points or not points[0].get("customdata"):
        return
    unit = points[0]["customdata"][0]
    label = points[0]["customdata"][1] if len(points[0]["customdata"]) > 1 else None
    links_to_reports(
        q(queries.reports_behind, sel, level, unit, year),
        f"{label or names.get(unit, unit)} · {year}年的报告",
    )
