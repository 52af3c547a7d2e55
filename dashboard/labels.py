"""Labels the dashboard shows, taken from the catalog; the few the catalog has no place for.

Metric, applicant, disposition, review and channel labels come from ``pipelines.catalog``
(and rule titles from ``pipelines.audit``), so a label is never spelled twice. What is
defined here is vocabulary only the dashboard needs: organ kinds, severities, and the names of
the derived measures.
"""

from __future__ import annotations

from dashboard.selection import UNKNOWN_REGION
from pipelines import audit, catalog

# Part 三 dispositions in template order, without （七）总计: key -> label.
DISPOSITIONS: dict[str, str] = {g.key: g.label for g in catalog.REQUEST_GROUPS if g.key != "total"}
# Groups whose numbered sub-rows are reasons (the drill-down of the 办理结果 page).
REASON_GROUPS: tuple[str, ...] = ("denied", "unavailable", "not_processed", "other")


def reasons(group: str) -> dict[str, str]:
    """Metric key -> label of a disposition group's numbered sub-rows, in template order."""
    return {
        r.metric.key: r.metric.label
        for r in catalog.REQUEST_ROWS
        if r.group == group and r.keywords
    }


def metric_label(key: str) -> str:
    """A metric's short label; ``metric@applicant`` cells get the applicant appended."""
    base, _, applicant = key.partition("@")
    year, _, base = base.rpartition(":")  # cross-year cells: "2020:requests.carried_forward@x"
    metric = catalog.METRICS_BY_KEY.get(base)
    label = metric.label if metric else base
    if applicant:
        label = f"{label}·{catalog.APPLICANT_LABELS.get(applicant, applicant)}"
    return f"{year}年 {label}" if year else label


# The six applicant columns (without 总计) in template order.
APPLICANTS: dict[str, str] = {a.key: a.label for a in catalog.APPLICANTS if a.key != "total"}
TOTAL_APPLICANT = "total"

REVIEW_GROUPS: dict[str, str] = dict(catalog.REVIEW_GROUPS)
REVIEW_OUTCOMES: dict[str, str] = dict(catalog.REVIEW_OUTCOMES)
CHANNELS: dict[str, str] = {c.key: c.label for c in catalog.CHANNELS}
TABLES: dict[str, str] = dict(catalog.TABLES)

ORGAN_KINDS: dict[str, str] = {"government": "人民政府", "department": "政府部门"}
SEVERITIES: dict[str, str] = {"error": "错误", "warning": "提示"}
EDITIONS: dict[str, str] = {"2019": "2019 版模板", "2021": "2021 版模板"}
LEVELS: dict[str, str] = {"province": "省", "city": "市", "county": "县（区）", "organ": "机关"}

# How the organ's region was settled (organs.region_status).
REGION_STATUS: dict[str, str] = {
    "resolved": "按名称识别",
    "ambiguous": "名称有歧义，未定",
    "unknown": "未识别",
    "manifest": "按清单指定",
    "folder": "按文件夹推定",
}

# The file a report was read from (reports.format), as a reader calls it.
FORMATS: dict[str, str] = {
    "text": "文本文件",
    "html": "网页",
    "pdf": "PDF",
    "docx": "Word 文档",
    "doc": "Word 文档（.doc）",
    "wps": "WPS 文档",
}


def own_level(level: str, parent: str | None) -> str:
    """What a unit with no place at ``level`` is, within its parent region.

    A city's own organs (淮安市人民政府, 淮安市教育局) have no county: compared county by
    county they are "淮安市本级", not an unknown place; likewise a province's own organs
    among its cities. Only with no parent at all is the place unknown.
    """
    if level in ("county", "city") and parent and parent != UNKNOWN_REGION:
        return f"{parent}本级"
    return UNKNOWN_REGION


DEMO = "示例数据"
REAL = "真实报告"
ALL = "全部"

RULE_TITLES: dict[str, str] = audit.RULE_TITLES


def rule_title(rule: str) -> str:
    return RULE_TITLES.get(rule, rule)


# Part 二 columns whose meaning changed at the 2021 template, with the column that roughly
# replaced them (docs/template.md §5–§6): drawn as separate, unjoined series.
COMPARABLE_ACROSS_EDITIONS: dict[str, str] = {"new_made": "issued", "total_published": "in_force"}
TEMPLATE_CHANGE_YEAR = 2021
