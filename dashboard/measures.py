"""The measures the dashboard shows, with their definitions and the small-sample rule.

A rate is a ratio of sums (Σ予以公开 ÷ Σ办结 over the reports of a unit), never a mean of
per-report rates, so a unit with 3 requests cannot outweigh one with 3,000. A rate whose
denominator is under ``MIN_DENOMINATOR`` is still shown, greyed and with a note, but never
ranked: 1 of 2 is not "50%" in any sense leadership should act on.

Each measure states its definition in Chinese; the pages show it next to the number.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dashboard import labels
from pipelines import catalog

MIN_DENOMINATOR = 30
# A number resting mostly on reports with audit errors is marked more strongly (its bar
# hatched) than one where a few of many reports have them (only "⚠ 1/29 份有错").
UNRELIABLE_SHARE = 0.5
# A year's total is marked as short when the organs missing that year (reported the year
# before, not this year) printed at least this share of it the year before.
GAP_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Measure:
    key: str
    label: str
    numerator: tuple[str, ...]  # columns of queries.unit_year_measures, summed
    denominator: str | None  # None: a count
    definition: str
    better: str | None = None  # "up" / "down": which way is good (delta colour)
    unit: str = "件"

    @property
    def is_rate(self) -> bool:
        return self.denominator is not None


_RECEIVED = catalog.METRICS_BY_KEY["requests.new_received"].label
_REVIEW = labels.REVIEW_GROUPS["review"]
_LITIGATION = labels.REVIEW_GROUPS["litigation.direct"].split("·")[0]
_D = labels.DISPOSITIONS
_O = labels.REVIEW_OUTCOMES
DECIDED_LABEL = "办结数"
DECIDED_DEFINITION = (
    f"{DECIDED_LABEL} = 办理结果（一）至（六）各项之和（总计列）；"
    "不用报告填报的（七）总计，因为有的报告总计填错（审核规则 H2 会标出）"
)


def _share(group: str) -> Measure:
    return Measure(
        f"{group}_share",
        f"{_D[group]}占比",
        (group,),
        "decided",
        f"{_D[group]}占比 = {_D[group]} ÷ {DECIDED_LABEL}",
        "down",
        unit="",
    )


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "received",
            _RECEIVED,
            ("received",),
            None,
            f"{_RECEIVED} = 第三部分“一、本年新收政府信息公开申请数量”的总计列",
        ),
        Measure("decided", DECIDED_LABEL, ("decided",), None, DECIDED_DEFINITION),
        Measure(
            "open_rate",
            "公开率",
            ("granted", "partial"),
            "decided",
            f"公开率 =（{_D['granted']}＋{_D['partial']}）÷ {DECIDED_LABEL}",
            "up",
            unit="",
        ),
        _share("denied"),
        _share("unavailable"),
        _share("not_processed"),
        Measure(
            "review_cases",
            f"{_REVIEW}件数",
            ("review_cases",),
            None,
            f"{_REVIEW}件数 = {_O['upheld']}＋{_O['corrected']}＋{_O['other']}＋{_O['pending']}"
            "（不用填报的总计，因为有的报告总计填错）",
        ),
        Measure(
            "review_correct_rate",
            f"{_REVIEW}纠错率",
            ("review_corrected",),
            "review_concluded",
            f"{_REVIEW}纠错率 = {_O['corrected']} ÷ 已审结（{_O['upheld']}＋{_O['corrected']}"
            f"＋{_O['other']}）",
            "down",
            unit="",
        ),
        Measure(
            "litigation_cases",
            f"{_LITIGATION}件数",
            ("litigation_cases",),
            None,
            f"{_LITIGATION}件数 = 未经复议直接起诉与复议后起诉的"
            f"{_O['upheld']}＋{_O['corrected']}＋{_O['other']}＋{_O['pending']}",
        ),
        Measure(
            "litigation_correct_rate",
            f"{_LITIGATION}纠错率",
            ("litigation_corrected",),
            "litigation_concluded",
            f"{_LITIGATION}纠错率 = {_O['corrected']} ÷ 已审结（两类诉讼的"
            f"{_O['upheld']}＋{_O['corrected']}＋{_O['other']}）",
            "down",
            unit="",
        ),
    )
}


def small_base(prev: float | None) -> bool:
    """A relative change on a base under ``MIN_DENOMINATOR`` (2 → 6 is "+200%"): shown
    greyed, never ranked, as a rate on a small denominator."""
    return prev is not None and abs(prev) < MIN_DENOMINATOR


def material_gaps(
    gaps: pl.DataFrame, metric: str, totals: dict[int, float | None]
) -> dict[int, tuple[int, float]]:
    """Years whose total of ``metric`` lacks a material part: year → (organs missing, what
    they printed the year before), where that is at least ``GAP_SHARE`` of the year's total
    (``gaps`` from ``queries.gaps_by_year``)."""
    out = {}
    for row in gaps.filter(pl.col("metric") == metric).iter_rows(named=True):
        lost = row["value"] or 0
        total = totals.get(row["year"]) or 0
        if lost > 0 and lost >= GAP_SHARE * total:
            out[int(row["year"])] = (int(row["organs"]), float(lost))
    return out


def error_note(reports: int | None, errors: int | None) -> str:
    """The one way every view says how many of a number's reports have audit errors:
    "⚠ 1/29 份有错", or nothing."""
    if not errors:
        return ""
    return f"⚠ {int(errors)}/{int(reports or 0)} 份有错"


def unreliable(reports: int | None, errors: int | None) -> bool:
    """Most of a number's reports have audit errors: its bar is hatched as well."""
    return bool(errors) and bool(reports) and errors / reports >= UNRELIABLE_SHARE  # type: ignore[operator]


def small_note(m: Measure) -> str:
    return (
        f"分母（{'申请' if m.denominator == 'decided' else '已审结案件'}）不足 "
        f"{MIN_DENOMINATOR} 件：比率仅供参考，置灰且不参与排名"
    )


def with_measure(frame: pl.DataFrame, m: Measure) -> pl.DataFrame:
    """Adds ``numerator``, ``denominator``, ``value`` and ``small`` for one measure.

    ``frame`` has the sums of ``queries.unit_year_measures`` (any grouping). ``value`` is
    null where there is nothing to divide by; ``small`` marks a rate on too few cases.
    """
    num = pl.sum_horizontal([pl.col(c) for c in m.numerator])
    # sum_horizontal treats nulls as 0; a unit where every numerator is null has no value.
    num = (
        pl.when(pl.all_horizontal([pl.col(c).is_null() for c in m.numerator]))
        .then(None)
        .otherwise(num)
    )
    if m.denominator is None:
        return frame.with_columns(
            numerator=num, denominator=pl.lit(None, pl.Float64), value=num, small=pl.lit(False)
        )
    den = pl.col(m.denominator)
    return frame.with_columns(
        numerator=num,
        denominator=den,
        value=pl.when(den > 0).then(num.fill_null(0) / den).otherwise(None),
        small=den.fill_null(0) < MIN_DENOMINATOR,
    )


def totals(frame: pl.DataFrame) -> pl.DataFrame:
    """Sums over units: the same columns, one row per year."""
    from dashboard.queries import MEASURE_COLUMNS

    return (
        frame.group_by("year")
        .agg(
            pl.col("reports").sum(),
            pl.col("error_reports").sum(),
            pl.col("demo_reports").sum(),
            pl.col("reports_with_requests").sum(),
            # a year where no report printed the number stays null, not 0
            *[
                pl.when(pl.col(c).count() > 0).then(pl.col(c).sum()).alias(c)
                for c in MEASURE_COLUMNS
            ],
        )
        .sort("year")
    )


def scalar(row: dict | None, m: Measure) -> tuple[float | None, float | None, bool]:
    """The measure on one row of sums: (value, denominator, small)."""
    if not row:
        return None, None, False
    parts = [row.get(c) for c in m.numerator]
    num = None if all(p is None for p in parts) else sum(p or 0 for p in parts)
    if m.denominator is None:
        return num, None, False
    den = row.get(m.denominator)
    value = (num or 0) / den if den else None
    return value, den, (den or 0) < MIN_DENOMINATOR
