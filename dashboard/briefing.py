"""一键简报: the sidebar's selection as a Word briefing (政府信息公开工作年度报告数据简报).

Why a module of its own, apart from the page: the briefing is read away from the dashboard
(printed, forwarded, filed), so it must stand on its own — scope and data date on its
first lines, numbered sections, short sentences carrying the numbers, the caveats the pages
show next to a number written next to it — and it must be buildable from a cursor alone,
so tests and scripts make the same document the page offers.

Every number is the dashboard's: the headline figures run the overview page's own calls
(``queries.unit_year_measures`` through ``measures.totals`` and ``measures.scalar``, the
like-for-like pair for the change on last year, ``queries.prose_by_year`` for the portal
count) and are written by ``dashboard.fmt``, so the document and the page cannot disagree.

Two steps: ``compose`` gathers the sections (text, tables, chart images) into a plain,
picklable ``Briefing`` the page can preview and cache; ``to_docx`` writes it with
python-docx. ``build`` does both. Text that came from report files (organ names) goes into
the document as plain text runs, never as markup.
"""

from __future__ import annotations

import importlib
import io
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from os import PathLike
from typing import Any

import polars as pl

from dashboard import briefing_charts, fmt, labels, measures, queries, ui
from dashboard.selection import Selection
from pipelines import catalog

TITLE = "政府信息公开工作年度报告数据简报"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NUMERALS = "一二三四五六七八九十"
# The overview's KPIs, in the order the overview draws them.
OVERVIEW_KPIS = (
    "received",
    "decided",
    "open_rate",
    "denied_share",
    "unavailable_share",
    "review_cases",
    "review_correct_rate",
    "litigation_cases",
    "litigation_correct_rate",
)
PORTAL_LABEL = f"{labels.CHANNELS['portal']}公开信息"  # the overview's tenth KPI
PEER_MEASURES = ("received", "open_rate")
MAX_ROWS = 20  # rows of a listing (watch list, reports with errors, gaps) the document prints

HEADINGS = {
    "overview": "总体情况",
    "requests": "依申请公开情况",
    "review": "行政复议和行政诉讼情况",
    "active": "主动公开情况",
    "peers": "同级对标",
    "watch": "关注清单",
    "quality": "数据质量说明",
}
APPENDIX = "附：指标口径"
NO_FONT_NOTE = (
    "本机没有可显示中文的字体（如 Noto Sans CJK，Debian 软件包 fonts-noto-cjk），"
    "为免图中汉字显示为方框，本简报未附图表；安装中文字体后重新生成即可附图。"
)


# ---------------------------------------------------------------------------------------------
# The briefing as data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Para:
    text: str
    note: bool = False  # a caveat: set apart from the sentences carrying numbers


@dataclass(frozen=True, slots=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Chart:
    caption: str
    png: bytes


Block = Para | Table | Chart


@dataclass(frozen=True, slots=True)
class Section:
    heading: str  # numbered: "一、总体情况"
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Kpi:
    """One headline figure as the overview writes it: value and change on last year (the
    overview's ``st.metric`` value and delta text), and the caveat its help text gives."""

    key: str
    label: str
    value: str
    change: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Briefing:
    scope: str
    data_date: date | None
    year: int | None  # the year of the headline figures (the overview's focus year)
    reports: int
    organs: int
    kpis: tuple[Kpi, ...]
    sections: tuple[Section, ...]
    chart_note: str | None  # why the document has no charts, when it has none

    @property
    def headings(self) -> list[str]:
        return [s.heading for s in self.sections]

    def kpi(self, label: str) -> Kpi:
        return next(k for k in self.kpis if k.label == label)


# ---------------------------------------------------------------------------------------------
# Numbers, as the overview computes and writes them
# ---------------------------------------------------------------------------------------------


def kpi(
    m: measures.Measure,
    row: dict | None,
    same: tuple[dict | None, dict | None],
    prev_year: int | None,
) -> Kpi:
    """``ui.kpi`` without Streamlit: the same value, the same change and the same rules for
    greying it (a rate on too few cases, a change on a small base), in words."""
    value, den, small = measures.scalar(row, m)
    text = fmt.pct(value) if m.is_rate else fmt.num(value, m.unit)
    if small and value is not None:
        return Kpi(
            m.key,
            m.label,
            text,
            "样本少，仅供参考",
            f"分母仅 {fmt.num(den)} 件，不足 {measures.MIN_DENOMINATOR} 件，比率仅供参考",
        )
    now, _, _ = measures.scalar(same[0], m)
    before, before_den, before_small = measures.scalar(same[1], m)
    delta = fmt.points(now, before) if m.is_rate else fmt.change(now, before)
    if delta is None or prev_year is None:
        return Kpi(m.key, m.label, text, fmt.DASH)
    if m.is_rate and before_small:
        return Kpi(
            m.key,
            m.label,
            text,
            delta,
            f"{prev_year}年分母仅 {fmt.num(before_den)} 件，变化仅供参考",
        )
    if not m.is_rate and measures.small_base(before):
        return Kpi(
            m.key,
            m.label,
            text,
            f"{delta}·基数小",
            f"{prev_year}年仅 {fmt.num(before, m.unit)}，变化率仅供参考",
        )
    if fmt.is_flat(delta):
        return Kpi(m.key, m.label, text, "与上年持平")
    return Kpi(m.key, m.label, text, delta)


def change_words(k: Kpi) -> str:
    """A KPI's change as a clause of a sentence: "比上年增长5.2%", "比上年提高1.2个百分点"."""
    if k.change in (fmt.DASH, "样本少，仅供参考"):
        return ""
    delta, _, tag = k.change.partition("·")
    small = "（基数小，仅供参考）" if tag else ""
    if k.change == "与上年持平" or fmt.is_flat(delta):
        return "与上年持平" + small
    sign, number = delta[0], delta[1:]
    if number.endswith("个百分点"):
        verb = "提高" if sign == "+" else "下降"
    else:
        verb = "增长" if sign == "+" else "下降"
    return f"比上年{verb}{number}{small}"


def _with_change(k: Kpi) -> str:
    words = change_words(k)
    return f"{k.value}，{words}" if words else k.value


def data_date(cur: queries.Cursor, sel: Selection) -> date | None:
    """When the selection's newest report was loaded: the date its numbers stand at.

    The one query here rather than in ``dashboard.queries``: the selection clause still
    comes from ``pipelines.filters`` (every value a bound parameter).
    """
    params: list[object] = []
    where = " AND ".join(sel.filters().report_clauses("r", params)) or "TRUE"
    rows = cur.execute(
        f"SELECT max(r.ingested_at) FROM current_reports r WHERE {where}", params
    ).fetchall()  # fetched to the end: DuckDB 2 keeps the cursor busy until then
    value = rows[0][0] if rows else None
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def date_text(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else fmt.DASH


# ---------------------------------------------------------------------------------------------
# Composing the sections
# ---------------------------------------------------------------------------------------------


class _Builder:
    """Numbers sections, tables and figures as they are added (一、二…, 表1, 图1)."""

    def __init__(self, font: briefing_charts.CjkFont | None, draw_charts: bool = True) -> None:
        self.font = font
        self.draw_charts = draw_charts
        self.sections: list[Section] = []
        self.tables = 0
        self.charts = 0

    def section(self, key: str, blocks: Iterable[Block]) -> None:
        n = NUMERALS[len(self.sections)]
        self.sections.append(Section(f"{n}、{HEADINGS[key]}", tuple(blocks)))

    def appendix(self, blocks: Iterable[Block]) -> None:
        self.sections.append(Section(APPENDIX, tuple(blocks)))

    def table(self, caption: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
        self.tables += 1
        return Table(
            f"表{self.tables}　{caption}",
            tuple(columns),
            tuple(tuple(str(c) for c in r) for r in rows),
        )

    def chart(self, caption: str, draw: Callable[[briefing_charts.CjkFont], bytes]) -> Block | None:
        """A figure, numbered; None without a font (the document says why once, at the top);
        a note in its place if the font lacks a character it prints."""
        if self.font is None or not self.draw_charts:
            return None
        try:
            png = draw(self.font)
        except briefing_charts.MissingGlyphError:
            return Para(f"（{caption}未能生成：所用字体缺少图中的部分字符。）", note=True)
        self.charts += 1
        return Chart(f"图{self.charts}　{caption}", png)


def _blocks(*items: Block | None) -> list[Block]:
    return [b for b in items if b is not None]


def _organ_names(cur: queries.Cursor) -> dict[str, str]:
    """organ_id -> the sidebar's unique name (a repeated name gets its county)."""
    from dashboard.sidebar import organ_labels

    return organ_labels(queries.organ_options(cur))


def compose(
    cur: queries.Cursor,
    sel: Selection,
    organ_name: str | None = None,
    font_dirs: Sequence[str | PathLike[str]] | None = None,
    draw_charts: bool = True,
) -> Briefing:
    """The briefing for ``sel``. ``organ_name``: how the sidebar names a chosen organ (else
    looked up); ``font_dirs``: where to look for a CJK font (None: the system's fonts);
    ``draw_charts`` False leaves the figures out (the page's preview, until asked: drawing
    them is half of the time a national briefing takes)."""
    if sel.organ_id is not None and organ_name is None:
        organ_name = _organ_names(cur).get(sel.organ_id)
    names = {sel.organ_id: organ_name} if sel.organ_id and organ_name else {}
    scope = ui.scope_text(sel, names)
    summary = queries.scope_summary(cur, sel)
    total = summary.row(0, named=True) if summary.height else {}
    reports = int(total.get("reports") or 0)
    organs = int(total.get("organs") or 0)
    font = briefing_charts.find_cjk_font(font_dirs)
    chart_note = None if font is not None else NO_FONT_NOTE
    b = _Builder(font, draw_charts)
    if not reports:
        b.section(
            "overview",
            [Para(f"当前筛选条件（{scope}）下没有年度报告，无数据可报。")],
        )
        return Briefing(scope, None, None, 0, 0, (), tuple(b.sections), chart_note)

    # --- the overview's numbers ---------------------------------------------------------------
    per_year = queries.reports_per_year(cur, sel)
    years = [int(y) for y in per_year["year"].to_list()]
    year = years[-1]
    prev_year = year - 1
    every_year = queries.scope_summary(cur, replace(sel, same_organs=True))
    organs_every_year = int(every_year["organs"][0]) if every_year.height else 0
    organs_per_year = dict(zip(years, per_year["organs"].to_list(), strict=True))
    coverage = organs_per_year if organs_every_year < organs else None
    series = measures.totals(queries.unit_year_measures(cur, sel, None))
    row = next((r for r in series.iter_rows(named=True) if r["year"] == year), None)
    pair = measures.totals(
        queries.unit_year_measures(
            cur, replace(sel.with_years(prev_year, year), same_organs=True), None
        )
    )
    both = {r["year"]: r for r in pair.iter_rows(named=True)}
    same = (both.get(year), both.get(prev_year))
    kpis = [kpi(measures.MEASURES[k], row, same, prev_year) for k in OVERVIEW_KPIS]
    prose = queries.prose_by_year(cur, sel.with_years(year, year))
    portal = prose.filter(pl.col("channel") == "portal")
    portal_value = portal["value"].sum() if portal.height else None
    portal_reports = int(portal["reports"].sum()) if portal.height else 0
    kpis.append(Kpi("portal", PORTAL_LABEL, fmt.num(portal_value, "条"), fmt.DASH))
    k = {x.key: x for x in kpis}

    b.section(
        "overview",
        _overview(b, scope, total, years, year, per_year, row, same, prev_year, kpis, sel),
    )
    b.section(
        "requests",
        _requests(b, k, row, series, year, organs_per_year, coverage, organs, cur, sel),
    )
    b.section("review", _review(b, k, row, series, year))
    b.section("active", _active(b, cur, sel, year, row, prose, portal_value, portal_reports))
    b.section("peers", _peers(b, cur, sel, year))
    b.section("watch", _watch(b, cur, sel))
    b.section("quality", _quality(b, cur, sel, total, years))
    b.appendix(_definitions())
    return Briefing(
        scope,
        data_date(cur, sel),
        year,
        reports,
        organs,
        tuple(kpis),
        tuple(b.sections),
        chart_note,
    )


def _overview(
    b: _Builder,
    scope: str,
    total: dict,
    years: list[int],
    year: int,
    per_year: pl.DataFrame,
    row: dict | None,
    same: tuple[dict | None, dict | None],
    prev_year: int,
    kpis: list[Kpi],
    sel: Selection,
) -> list[Block]:
    reports, organs = int(total["reports"]), int(total["organs"])
    span = f"{years[0]}–{years[-1]}年" if len(years) > 1 else f"{years[0]}年"
    this = per_year.filter(pl.col("year") == year).row(0, named=True)
    out: list[Block] = [
        Para(
            f"本简报范围为：{scope}。范围内共有{span}的年度报告 {fmt.num(reports)} 份，"
            f"涉及 {fmt.num(organs)} 个机关。"
        ),
        Para(
            f"{year}年有年度报告 {fmt.num(this['reports'])} 份，涉及 "
            f"{fmt.num(this['organs'])} 个机关。以下主要数字均为{year}年数字"
            + (
                f"（{year}年是所选范围内最近有报告的一年）。"
                if sel.year_to and sel.year_to > year
                else "。"
            )
        ),
    ]
    demo = int(total.get("demo_reports") or 0)
    if demo:
        share = "全部报告" if demo == reports else f"其中 {fmt.num(demo)} 份报告"
        out.append(
            Para(
                f"请注意：{share}为{labels.DEMO}（生成的演示报告，不是真实报告），"
                "相关数字不能作为工作依据。",
                note=True,
            )
        )
    errors = int(total.get("error_reports") or 0)
    if errors:
        out.append(
            Para(
                f"{fmt.num(errors)} 份报告有审核错误（报告自身的数字不能相互核对），"
                f"详见第{NUMERALS[list(HEADINGS).index('quality')]}部分。"
            )
        )
    out.append(
        b.table(
            f"{year}年主要指标",
            ("指标", f"{year}年", "比上年", "说明"),
            [(x.label, x.value, x.change, x.note) for x in kpis],
        )
    )
    if row:
        basis = ui.rests_on(row["reports"], row["error_reports"], row["demo_reports"])
        compare = (
            f"“比上年”只比较{prev_year}、{year}两年都有报告的 {fmt.num(same[0]['reports'])} "
            "个机关，不因某个机关某年缺报告而起落"
            if same[0] and same[1]
            else f"{prev_year}年没有同一机关的报告，无同比"
        )
        out.append(
            Para(
                f"以上数字{basis}；{compare}。比率的分母不足 {measures.MIN_DENOMINATOR} 件、"
                f"或上年件数不足 {measures.MIN_DENOMINATOR} 件时，变化仅供参考。",
                note=True,
            )
        )
    return out


def _requests(
    b: _Builder,
    k: dict[str, Kpi],
    row: dict | None,
    series: pl.DataFrame,
    year: int,
    organs_per_year: dict[int, int],
    coverage: dict[int, int] | None,
    organs: int,
    cur: queries.Cursor,
    sel: Selection,
) -> list[Block]:
    out: list[Block] = []
    if row is None or row.get("received") is None:
        out.append(Para(f"{year}年的报告没有填报依申请公开数字。"))
    else:
        out.append(
            Para(
                f"{year}年，新收政府信息公开申请{_with_change(k['received'])}；"
                f"上年结转 {fmt.num(row['carried_over'], '件')}。"
                f"办结 {_with_change(k['decided'])}；结转下年度 "
                f"{fmt.num(row['carried_forward'], '件')}。"
            )
        )
        out.append(
            Para(
                f"公开率（予以公开与部分公开之和占办结数的比例）为{_with_change(k['open_rate'])}。"
                f"{labels.DISPOSITIONS['denied']}占 {k['denied_share'].value}，"
                f"{labels.DISPOSITIONS['unavailable']}占 {k['unavailable_share'].value}。"
                + (f"（{k['open_rate'].note}。）" if k["open_rate"].note else "")
            )
        )
        mix = []
        for g, label in labels.DISPOSITIONS.items():
            # the share measures of ``measures`` (the overview's 不予公开占比 is one of them)
            share, _, _ = measures.scalar(row, measures._share(g))
            mix.append((label, fmt.num(row[g], "件"), fmt.pct(share)))
        mix.append((measures.DECIDED_LABEL, fmt.num(row["decided"], "件"), fmt.pct(1.0)))
        out.append(b.table(f"{year}年办理结果", ("办理结果", "件数", "占比"), mix))

    rate = measures.with_measure(series, measures.MEASURES["open_rate"])
    trend = []
    for r, v in zip(series.iter_rows(named=True), rate["value"].to_list(), strict=True):
        trend.append(
            (
                f"{r['year']}年",
                fmt.num(r["reports"]),
                fmt.num(organs_per_year.get(r["year"])),
                fmt.num(r["received"]),
                fmt.num(r["decided"]),
                fmt.pct(v),
                fmt.num(r["review_cases"]),
                fmt.num(r["litigation_cases"]),
            )
        )
    out.append(
        b.table(
            "历年主要数据",
            (
                "年度",
                "报告数（份）",
                "机关数（个）",
                "新收申请（件）",
                "办结数（件）",
                "公开率",
                "行政复议（件）",
                "行政诉讼（件）",
            ),
            trend,
        )
    )
    ys = series["year"].to_list()
    short = measures.material_gaps(
        queries.gaps_by_year(cur, sel, ["received"]),
        "received",
        dict(zip(series["year"], series["received"], strict=True)),
    )
    out += _blocks(
        b.chart(
            "历年新收政府信息公开申请（件）",
            lambda f: briefing_charts.received_bars(
                f, ys, series["received"].to_list(), short, coverage
            ),
        ),
        b.chart(
            "历年公开率",
            lambda f: briefing_charts.rate_line(
                f, ys, rate["value"].to_list(), rate["small"].to_list()
            ),
        ),
        b.chart(
            "历年办理结果结构",
            lambda f: briefing_charts.disposition_mix(f, ys, list(series.iter_rows(named=True))),
        ),
    )
    notes = []
    if short:
        listed = "、".join(f"{y}年" for y in sorted(short))
        notes.append(
            f"{listed}有上一年报告过的机关没有报告，它们上一年的申请数占该年合计的 "
            f"{round(measures.GAP_SHARE * 100)}% 以上，未计入该年合计"
            + ("（图中浅色柱）" if b.font else "")
            + "：下降不代表实际减少。"
        )
    if coverage:
        low, high = min(coverage.values()), max(coverage.values())
        notes.append(
            f"各年有报告的机关数不同（{low}–{high} 个，共 {organs} 个），"
            "历年合计随之起落，不全是实际增减。"
        )
    if notes:
        out.append(Para("".join(notes), note=True))
    return out


def _review(
    b: _Builder,
    k: dict[str, Kpi],
    row: dict | None,
    series: pl.DataFrame,
    year: int,
) -> list[Block]:
    out: list[Block] = []
    if row is None:
        return [Para(f"{year}年没有报告。")]
    for cases, rate, corrected, concluded in (
        ("review_cases", "review_correct_rate", "review_corrected", "review_concluded"),
        (
            "litigation_cases",
            "litigation_correct_rate",
            "litigation_corrected",
            "litigation_concluded",
        ),
    ):
        name = measures.MEASURES[cases].label.removesuffix("件数")
        if row.get(cases) is None:
            out.append(Para(f"{year}年的报告没有填报{name}数字。"))
            continue
        sentence = (
            f"{year}年，因政府信息公开引起的{name}{_with_change(k[cases])}；"
            f"已审结 {fmt.num(row[concluded], '件')}，其中结果纠正 "
            f"{fmt.num(row[corrected], '件')}，纠错率 {k[rate].value}"
        )
        words = change_words(k[rate])
        sentence += f"，{words}" if words else ""
        sentence += f"（{k[rate].note}）。" if k[rate].note else "。"
        out.append(Para(sentence))
    ys = series["year"].to_list()
    out += _blocks(
        b.chart(
            "历年行政复议和行政诉讼件数（件）",
            lambda f: briefing_charts.review_bars(
                f, ys, series["review_cases"].to_list(), series["litigation_cases"].to_list()
            ),
        )
    )
    return out


def _active(
    b: _Builder,
    cur: queries.Cursor,
    sel: Selection,
    year: int,
    row: dict | None,
    prose: pl.DataFrame,
    portal_value: float | None,
    portal_reports: int,
) -> list[Block]:
    reports = int(row["reports"]) if row else 0
    out: list[Block] = []
    if portal_reports:
        out.append(
            Para(
                f"{year}年，{fmt.num(portal_reports)} 份报告（共 {fmt.num(reports)} 份）在正文中"
                f"写明了通过{labels.CHANNELS['portal']}公开政府信息的条数，合计 "
                f"{fmt.num(portal_value, '条')}。"
            )
        )
    else:
        out.append(
            Para(f"{year}年的报告正文中没有写明通过{labels.CHANNELS['portal']}公开信息的条数。")
        )
    channels = [
        (labels.CHANNELS[r["channel"]], fmt.num(r["value"]), f"{fmt.num(r['reports'])} 份")
        for key in labels.CHANNELS
        if key != "requests_received"
        for r in prose.filter(pl.col("channel") == key).iter_rows(named=True)
    ]
    if channels:
        out.append(
            b.table(
                f"{year}年报告正文写明的公开数量",
                ("渠道", "数量（按报告所写单位）", "写明的报告"),
                channels,
            )
        )
    active = queries.active_by_year(cur, sel.with_years(year, year))
    rows = []
    for key in ("rules", "normative_docs"):
        for m in catalog.METRICS:
            if m.table != "active" or m.key.split(".")[1] != key:
                continue
            hit = active.filter((pl.col("metric") == m.key) & (pl.col("year") == year))
            for r in hit.iter_rows(named=True):
                column = catalog.ACTIVE_COLUMNS_BY_KEY[m.key.split(".")[2]]
                rows.append(
                    (
                        catalog.ACTIVE_ROWS_BY_KEY[key].label,
                        column.label,
                        fmt.num(r["value"], m.unit),
                        f"{fmt.num(r['reports'])} 份",
                    )
                )
    if rows:
        out.append(
            b.table(
                f"{year}年规章和规范性文件（第二部分）",
                ("类别", "栏目", "数量", "填报的报告"),
                rows,
            )
        )
        out.append(
            Para(
                "2021 年起模板改为“本年制发件数、本年废止件数、现行有效件数”，此前为"
                "“本年新制作数量、本年新公开数量、对外公开总数量”，两版口径不同，不宜直接比较。",
                note=True,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Peer position and the watch list (modules written alongside: imported when present)
# ---------------------------------------------------------------------------------------------


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name``, or None while that module (or the function) does not exist yet."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None
    return getattr(mod, name, None)


def _measure_text(m: measures.Measure, v: float | None) -> str:
    return fmt.pct(v) if m.is_rate else fmt.num(v, m.unit)


def _position(p: float | None) -> str:
    """``peer_summary``'s percentile (0–100, the share of peers below, ties half) in words."""
    if fmt.is_missing(p):
        return fmt.DASH
    assert p is not None
    return f"高于 {round(p)}% 的同级单位"


def _peers(b: _Builder, cur: queries.Cursor, sel: Selection, year: int) -> list[Block]:
    fn = _optional("dashboard.peers", "peer_summary")
    if fn is None:
        return [Para("同级对标功能尚未安装（dashboard.peers），本部分暂缺。", note=True)]
    if sel.organ_id is None and not any((sel.province, sel.city, sel.county)):
        return [
            Para(
                "同级对标比较一个机关或一个地区与其同级单位：当前范围未选定具体地区或机关，"
                "本部分从略。在看板侧栏选定地区或机关后重新生成即可。",
                note=True,
            )
        ]
    floor = getattr(sys.modules.get("dashboard.peers"), "MIN_PEERS", None)
    out: list[Block] = []
    for key in PEER_MEASURES:
        m = measures.MEASURES[key]
        frame: pl.DataFrame = fn(cur, sel, key)
        if frame.is_empty():
            continue
        unit = str(frame["unit"][0])
        if frame["p50"].is_null().all():
            out.append(
                Para(
                    f"{unit}的{m.label}：各年同级可比单位都不足 {floor or '所需'} 个"
                    + ("（或比率分母过小）" if m.is_rate else "")
                    + "，不作比较。"
                )
            )
            continue
        this = frame.filter(pl.col("year") == year)
        if this.height and this["percentile"][0] is not None:
            r = this.row(0, named=True)
            out.append(
                Para(
                    f"{year}年，{unit}{m.label}为{_measure_text(m, r['value'])}，"
                    f"同级 {fmt.num(r['peers'])} 个单位的中位数为{_measure_text(m, r['p50'])}，"
                    f"{_position(r['percentile'])}。"
                )
            )
        out.append(
            b.table(
                f"{unit}{m.label}与同级单位比较",
                ("年度", m.label, "同级单位数", "同级中位数", "同级四分位区间", "所处位置"),
                [
                    (
                        f"{r['year']}年",
                        _measure_text(m, r["value"]),
                        fmt.num(r["peers"]),
                        _measure_text(m, r["p50"]),
                        f"{_measure_text(m, r['p25'])}–{_measure_text(m, r['p75'])}"
                        if r["p25"] is not None
                        else fmt.DASH,
                        _position(r["percentile"]),
                    )
                    for r in frame.sort("year").iter_rows(named=True)
                ],
            )
        )
    if not out:
        return [Para("所选单位没有可比较的同级单位（地区未能识别，或没有同级单位的报告）。")]
    if not any(isinstance(x, Table) for x in out):
        return out
    out.append(
        Para(
            "同级单位为同一层级、同类的其他机关（或同级地区），不含本单位；"
            "四分位区间为同级单位中间一半所在的范围。"
            + (
                f"同级单位不足 {floor} 个、或比率分母不足 {measures.MIN_DENOMINATOR} 件的年度"
                "不作比较（记为“—”）。"
                if floor
                else ""
            ),
            note=True,
        )
    )
    return out


def _watch(b: _Builder, cur: queries.Cursor, sel: Selection) -> list[Block]:
    fn = _optional("dashboard.watchlist", "watch_list")
    if fn is None:
        return [Para("关注清单功能尚未安装（dashboard.watchlist），本部分暂缺。", note=True)]
    frame: pl.DataFrame = fn(cur, sel)
    if frame.is_empty():
        return [Para("所选范围内没有需要关注的机关。")]
    # the latest year first: what a reader acts on now
    frame = frame.sort(["year", "organ"], descending=[True, False], maintain_order=True)
    names = _organ_names(cur)
    counts = frame.group_by("reason", maintain_order=True).len()
    out: list[Block] = [
        Para(
            f"共 {fmt.num(frame.height)} 项，涉及 {fmt.num(frame['organ_id'].n_unique())} "
            "个机关：" + "；".join(f"{r} {fmt.num(n)} 项" for r, n in counts.iter_rows()) + "。"
        ),
        b.table(
            "需要关注的机关",
            ("机关", "年度", "关注事项", "说明"),
            [
                (
                    names.get(r["organ_id"], r["organ"]),
                    f"{r['year']}年",
                    r["reason"],
                    r["detail"] or "",
                )
                for r in frame.head(MAX_ROWS).iter_rows(named=True)
            ],
        ),
    ]
    if frame.height > MAX_ROWS:
        out.append(
            Para(
                f"另有 {fmt.num(frame.height - MAX_ROWS)} 项未列出，见看板“关注清单”页。",
                note=True,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Data quality
# ---------------------------------------------------------------------------------------------


def _quality(
    b: _Builder, cur: queries.Cursor, sel: Selection, total: dict, years: list[int]
) -> list[Block]:
    reports = int(total["reports"])
    errors = int(total.get("error_reports") or 0)
    demo = int(total.get("demo_reports") or 0)
    out: list[Block] = []
    rules = queries.findings_summary(cur, sel)
    if errors:
        out.append(
            Para(
                f"所选 {fmt.num(reports)} 份报告中，{fmt.num(errors)} 份有审核错误"
                f"（占 {fmt.pct(errors / reports)}），即报告自身的数字不能相互核对，"
                "相关合计可能偏大或偏小；报告按原样收录，未作改动。"
            )
        )
        by_rule = rules.filter(pl.col("severity") == "error").sort("rule")
        out.append(
            b.table(
                "审核错误（按规则）",
                ("规则", "检查内容", "涉及报告"),
                [
                    (r["rule"], labels.rule_title(r["rule"]), f"{fmt.num(r['reports'])} 份")
                    for r in by_rule.iter_rows(named=True)
                ],
            )
        )
        found = queries.findings(cur, sel, severities=["error"])
        per_report = (
            found.group_by("report_id", maintain_order=True)
            .agg(pl.first("organ"), pl.first("year"), pl.col("rule").unique(maintain_order=True))
            .sort(["year", "organ"], descending=[True, False])
        )
        out.append(
            b.table(
                "有审核错误的报告",
                ("机关", "年度", "规则"),
                [
                    (r["organ"], f"{r['year']}年", "、".join(r["rule"]))
                    for r in per_report.head(MAX_ROWS).iter_rows(named=True)
                ],
            )
        )
        if errors > MAX_ROWS:
            out.append(
                Para(f"另有 {fmt.num(errors - MAX_ROWS)} 份未列出，见看板“数据质量”页。", note=True)
            )
    else:
        out.append(Para(f"所选 {fmt.num(reports)} 份报告都没有审核错误。"))
    warnings = rules.filter(pl.col("severity") == "warning").sort("rule")
    if warnings.height:
        out.append(
            Para(
                f"另有“提示”级审核发现 {fmt.num(warnings['findings'].sum())} 条"
                f"（规则 {'、'.join(warnings['rule'].to_list())}），"
                "提示可能的填报问题，不计为审核错误。"
            )
        )
    if demo:
        out.append(
            Para(
                f"{labels.DEMO}：{fmt.num(demo)} 份报告是生成的演示报告，不是真实报告；"
                "在看板侧栏关闭“包含示例数据”后重新生成，可得到只含真实报告的简报。",
                note=True,
            )
        )
    else:
        out.append(Para(f"所选报告均为{labels.REAL}，不含{labels.DEMO}。"))

    cov = queries.coverage(cur, sel, max_organs=max(int(total["organs"]), 1))
    missing = cov.filter(pl.col("status") == "missing")
    if missing.is_empty():
        out.append(Para(f"所选 {len(years)} 个年度中，每个机关每年都有报告。"))
        return out
    names = _organ_names(cur)
    gaps = (
        missing.group_by("organ_id", maintain_order=True)
        .agg(pl.first("organ"), pl.col("year").sort())
        .sort("organ")
    )
    out.append(
        Para(
            f"所选 {len(years)} 个年度（{'、'.join(str(y) for y in years)}年）中，"
            f"{fmt.num(gaps.height)} 个机关有年度缺报告，共缺 {fmt.num(missing.height)} 份。"
            "缺报告的机关不计入当年合计，历年合计的起落部分来自于此。"
        )
    )
    out.append(
        b.table(
            "缺报告的机关",
            ("机关", "缺报告的年度"),
            [
                (
                    names.get(r["organ_id"], r["organ"]),
                    "、".join(f"{y}年" for y in r["year"]),
                )
                for r in gaps.head(MAX_ROWS).iter_rows(named=True)
            ],
        )
    )
    if gaps.height > MAX_ROWS:
        out.append(
            Para(
                f"另有 {fmt.num(gaps.height - MAX_ROWS)} 个机关未列出，见看板“数据质量”页。",
                note=True,
            )
        )
    return out


def _definitions() -> list[Block]:
    m = measures.MEASURES
    out: list[Block] = [Para(m[k].definition + "。") for k in OVERVIEW_KPIS]
    out.append(Para(f"{PORTAL_LABEL}：第一部分正文中写明的政府门户网站公开信息条数之和。"))
    out.append(
        Para(
            "比率为合计之比（如全部报告的予以公开件数之和 ÷ 办结数之和），不是各报告比率的平均；"
            f"分母不足 {measures.MIN_DENOMINATOR} 件的比率仅供参考。"
            "“比上年”只比较两年都有报告的机关。"
        )
    )
    return out


# ---------------------------------------------------------------------------------------------
# The Word document
# ---------------------------------------------------------------------------------------------

# Fonts of a Chinese official document: the reader's Word (or LibreOffice) substitutes the
# nearest it has when one is missing.
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
BODY_FONT = "仿宋"
NOTE_FONT = "楷体"
TABLE_FONT = "宋体"
TEXT_WIDTH_CM = 15.6  # A4 less the margins set in ``to_docx``
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _plain(text: str) -> str:
    """Text for a run: characters XML cannot hold (a control character a report file
    carried) dropped; everything else, markup included, stays literal text."""
    return _XML_INVALID.sub("", str(text))


def _set_font(target: Any, name: str, size: float | None = None, bold: bool | None = None) -> None:
    """A style's or run's font for Latin and Chinese text alike (Word keeps them apart)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    font = target.font
    font.name = name
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:eastAsia"), name)


def _styles(doc: Any) -> None:
    from docx.enum.text import WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt

    normal = doc.styles["Normal"]
    _set_font(normal, BODY_FONT, 14)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.ONE_POINT_FIVE
    normal.paragraph_format.space_after = Pt(0)
    title = doc.styles["Title"]
    _set_font(title, TITLE_FONT, 22, bold=False)
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):  # the template's rule under the title
        ppr.remove(border)
    heading = doc.styles["Heading 1"]
    _set_font(heading, HEADING_FONT, 16, bold=False)
    heading.paragraph_format.space_before = Pt(12)
    heading.paragraph_format.space_after = Pt(6)


def _page_number(section: Any) -> None:
    """ "— 1 —" centred in the footer, as official documents number their pages."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    p._p.append(field)
    p._p.append(p.add_run(" —")._r)


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _text_width(text: str) -> int:
    """Width in half-characters: a Chinese character is two, a digit or letter one."""
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


def _column_widths(t: Table, total_cm: float) -> list[float]:
    """Columns as wide as their longest text, within bounds, filling the text width: a rule's
    title gets room, a year column does not."""
    weights = [
        min(max(10, *(_text_width(str(v)) for v in (c, *(r[i] for r in t.rows)))), 40)
        for i, c in enumerate(t.columns)
    ]
    return [total_cm * w / sum(weights) for w in weights]


def _table(doc: Any, t: Table) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    cap = doc.add_paragraph()
    cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cap.paragraph_format.space_before = Pt(6)
    cap.paragraph_format.keep_with_next = True
    _set_font(cap.add_run(_plain(t.caption)), HEADING_FONT, 12)
    table = doc.add_table(rows=1, cols=len(t.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = [Cm(w) for w in _column_widths(t, TEXT_WIDTH_CM)]
    for cell, text in zip(table.rows[0].cells, t.columns, strict=True):
        _shade(cell, "E7ECEF")
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.keep_with_next = True
        _set_font(p.add_run(_plain(text)), HEADING_FONT, 10.5)
    # names and sentences read from the left; numbers and short words sit centred
    left = [i == 0 or any(_text_width(r[i]) > 24 for r in t.rows) for i in range(len(t.columns))]
    for row in t.rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
            p = cell.paragraphs[0]
            p.paragraph_format.line_spacing = 1.0
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT if left[i] else WD_ALIGN_PARAGRAPH.CENTER
            _set_font(p.add_run(_plain(text)), TABLE_FONT, 10.5)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid, which LibreOffice lays out by
        for cell in column.cells:
            cell.width = width  # each cell, which Word lays out by
    doc.add_paragraph().paragraph_format.space_after = Pt(0)


def _chart(doc: Any, c: Chart) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True  # the figure and its caption on one page
    p.add_run().add_picture(io.BytesIO(c.png), width=Cm(TEXT_WIDTH_CM))
    cap = doc.add_paragraph()
    cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(cap.add_run(_plain(c.caption)), HEADING_FONT, 12)


def _para(doc: Any, p: Para) -> None:
    from docx.shared import Pt

    par = doc.add_paragraph()
    par.paragraph_format.first_line_indent = Pt(28)  # two characters
    run = par.add_run(_plain(p.text))
    if p.note:
        _set_font(run, NOTE_FONT, 12)


def to_docx(b: Briefing, today: date | None = None) -> bytes:
    """The briefing as a .docx file's bytes."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    today = today or date.today()
    doc = Document()
    _styles(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)  # 21 − 5.4 = TEXT_WIDTH_CM
    _page_number(section)
    doc.core_properties.title = TITLE
    doc.core_properties.subject = _plain(b.scope)
    doc.core_properties.author = "xxgk"

    title = doc.add_paragraph(TITLE, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in (
        f"数据范围：{b.scope}",
        f"数据更新至：{date_text(b.data_date)}　　生成日期：{date_text(today)}",
    ):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(p.add_run(_plain(line)), NOTE_FONT, 12)
    if b.chart_note:
        _para(doc, Para(b.chart_note, note=True))
    for s in b.sections:
        doc.add_heading(s.heading, level=1)
        for block in s.blocks:
            if isinstance(block, Table):
                _table(doc, block)
            elif isinstance(block, Chart):
                _chart(doc, block)
            else:
                _para(doc, block)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def build(
    cur: queries.Cursor,
    sel: Selection,
    organ_name: str | None = None,
    *,
    font_dirs: Sequence[str | PathLike[str]] | None = None,
    today: date | None = None,
) -> bytes:
    """The briefing document for ``sel``, as bytes of a .docx file."""
    return to_docx(compose(cur, sel, organ_name, font_dirs), today)


def file_name(b: Briefing, today: date | None = None) -> str:
    """ "政府信息公开数据简报_黑龙江省_佳木斯市_2020-2023年_政府部门_20251127.docx": the scope
    and the date, with only characters every file system and mail client keeps."""
    today = today or date.today()
    scope = re.sub(r"[^\w\-]+", "_", b.scope.replace("–", "-").replace(" · ", "_"))
    scope = re.sub(r"_+", "_", scope).strip("_")[:80]
    return f"政府信息公开数据简报_{scope}_{today:%Y%m%d}.docx"
