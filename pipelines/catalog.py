"""The metric catalog: the single source of truth for every canonical key and its labels.

Keys are a contract (``docs/metrics.md``): the parser, the audit, the warehouse views, the
exports and the dashboard all read keys, Chinese labels, label variants, editions and units
from here, so a label is never spelled twice in the code base. So do the audit rules
(``RULES``: id, severity, title, scope), whether one report's audit or the warehouse's
cross-year SQL emits them.

Matching hints (``keywords``) are fragments that identify a row even when a report has a
typo, a shortened wording, false spaces or another numbering style; they are checked
against labels that ``labels.normalize`` has already cleaned.
"""

from __future__ import annotations

from dataclasses import dataclass

EDITIONS = ("2019", "2021")
BOTH = frozenset(EDITIONS)
ONLY_2019 = frozenset({"2019"})
ONLY_2021 = frozenset({"2021"})

TABLES = {
    "active": "主动公开政府信息情况",
    "requests": "收到和处理政府信息公开申请情况",
    "review": "政府信息公开行政复议、行政诉讼情况",
}


@dataclass(frozen=True, slots=True)
class Metric:
    """One canonical key, as stored in the warehouse and shown on the dashboard."""

    key: str
    table: str
    label: str  # short Chinese label for charts and tables
    path: (
        str  # where it sits in the template, e.g. "三、本年度办理结果/(三)不予公开/1.属于国家秘密"
    )
    editions: frozenset[str]
    unit: str = "件"
    signed: bool = False
    derived: bool = False


# ---------------------------------------------------------------------------------------------
# Part 三: applicants (columns)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applicant:
    key: str
    label: str
    variants: tuple[str, ...] = ()


APPLICANTS: tuple[Applicant, ...] = (
    Applicant("natural_person", "自然人"),
    Applicant("legal.commercial", "商业企业"),
    Applicant("legal.research", "科研机构"),
    Applicant("legal.public_interest", "社会公益组织"),
    Applicant("legal.legal_service", "法律服务机构"),
    Applicant("legal.other", "其他"),
    Applicant("total", "总计", ("合计",)),
)
APPLICANT_KEYS = tuple(a.key for a in APPLICANTS)
LEGAL_APPLICANTS = tuple(k for k in APPLICANT_KEYS if k.startswith("legal."))
SUBTOTAL_APPLICANT = Applicant("legal.subtotal", "法人或其他组织小计", ("小计",))
APPLICANT_LABELS = {a.key: a.label for a in (*APPLICANTS, SUBTOTAL_APPLICANT)}
# Words that mark a part 三 header row (never a data row).
APPLICANT_HEADER_WORDS = (
    "申请人情况",
    "自然人",
    "法人或其他组织",
    "法人或者其他组织",
    "商业企业",
    "科研机构",
    "社会公益组织",
    "法律服务机构",
    "勾稽关系",
)

# ---------------------------------------------------------------------------------------------
# Part 三: rows
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestGroup:
    """A lettered row of 三、本年度办理结果: （一）…（七）."""

    key: str  # e.g. "denied"; its metrics are "outcome.<key>.*"
    label: str
    numeral: str
    keywords: tuple[str, ...]
    # Editions in which the group's own row carries numbers (otherwise it only labels sub-rows).
    own_cells: frozenset[str]


@dataclass(frozen=True, slots=True)
class RequestRow:
    metric: Metric
    group: str | None  # RequestGroup.key, or None for the four numbered top rows
    keywords: tuple[str, ...]
    exact: bool = False  # keywords must equal the whole leaf label ("3.其他")


REQUEST_GROUPS: tuple[RequestGroup, ...] = (
    RequestGroup("granted", "予以公开", "一", ("予以公开",), BOTH),
    RequestGroup("partial", "部分公开", "二", ("部分公开",), BOTH),
    RequestGroup("denied", "不予公开", "三", ("不予公开",), frozenset()),
    RequestGroup("unavailable", "无法提供", "四", ("无法提供",), frozenset()),
    RequestGroup("not_processed", "不予处理", "五", ("不予处理",), frozenset()),
    RequestGroup("other", "其他处理", "六", ("其他处理",), ONLY_2019),
    RequestGroup("total", "总计", "七", ("总计", "合计"), BOTH),
)
GROUPS_BY_KEY = {g.key: g for g in REQUEST_GROUPS}

_RESULTS = "三、本年度办理结果"


def _req(
    key: str,
    label: str,
    path: str,
    editions: frozenset[str],
    group: str | None,
    keywords: tuple[str, ...],
    exact: bool = False,
) -> RequestRow:
    return RequestRow(Metric(key, "requests", label, path, editions), group, keywords, exact)


def _leaf(group: str, n: int, key: str, label: str, keywords: tuple[str, ...], **kw) -> RequestRow:
    g = GROUPS_BY_KEY[group]
    editions = kw.pop("editions", BOTH)
    path = f"{_RESULTS}/({g.numeral}){g.label}/{n}.{label}"
    return _req(f"outcome.{group}.{key}", label, path, editions, group, keywords, **kw)


def _own(group: str, label: str | None = None, editions: frozenset[str] = BOTH) -> RequestRow:
    g = GROUPS_BY_KEY[group]
    key = "outcome.total" if group == "total" else f"outcome.{group}"
    if group == "other":
        key = "outcome.other.total"
    return _req(key, label or g.label, f"{_RESULTS}/({g.numeral}){g.label}", editions, group, ())


REQUEST_ROWS: tuple[RequestRow, ...] = (
    _req(
        "requests.new_received",
        "本年新收申请",
        "一、本年新收政府信息公开申请数量",
        BOTH,
        None,
        ("本年新收", "新收政府信息公开申请", "本年度新收"),
    ),
    _req(
        "requests.carried_over",
        "上年结转申请",
        "二、上年结转政府信息公开申请数量",
        BOTH,
        None,
        ("上年结转", "上年度结转"),
    ),
    _own("granted"),
    _own("partial"),
    _leaf("denied", 1, "state_secret", "属于国家秘密", ("国家秘密",)),
    _leaf(
        "denied",
        2,
        "law_prohibited",
        "其他法律行政法规禁止公开",
        ("法律行政法规禁止", "其他法律", "法规禁止公开"),
    ),
    _leaf("denied", 3, "security_stability", "危及“三安全一稳定”", ("三安全一稳定", "危及")),
    _leaf("denied", 4, "third_party", "保护第三方合法权益", ("第三方",)),
    _leaf("denied", 5, "internal_affairs", "属于三类内部事务信息", ("内部事务",)),
    _leaf("denied", 6, "process_info", "属于四类过程性信息", ("过程性",)),
    _leaf("denied", 7, "enforcement_file", "属于行政执法案卷", ("执法案卷",)),
    _leaf("denied", 8, "admin_query", "属于行政查询事项", ("查询事项",)),
    _leaf("unavailable", 1, "not_held", "本机关不掌握相关政府信息", ("不掌握",)),
    _leaf("unavailable", 2, "needs_creation", "没有现成信息需要另行制作", ("另行制作", "没有现成")),
    _leaf("unavailable", 3, "unclear", "补正后申请内容仍不明确", ("仍不明确", "补正后申请")),
    _leaf("not_processed", 1, "petition", "信访举报投诉类申请", ("信访", "举报投诉")),
    _leaf("not_processed", 2, "duplicate", "重复申请", ("重复申请",)),
    _leaf("not_processed", 3, "publication", "要求提供公开出版物", ("出版物",)),
    _leaf("not_processed", 4, "excessive", "无正当理由大量反复申请", ("大量反复", "反复申请")),
    _leaf(
        "not_processed",
        5,
        "reconfirm",
        "要求行政机关确认或重新出具已获取信息",
        ("重新出具", "确认或重新", "已获取信息"),
    ),
    _own("other"),
    _leaf(
        "other",
        1,
        "no_correction",
        "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ("不补正",),
        editions=ONLY_2021,
    ),
    _leaf(
        "other",
        2,
        "fee_unpaid",
        "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ("缴纳费用", "缴费", "收费通知"),
        editions=ONLY_2021,
    ),
    _leaf("other", 3, "other", "其他", ("其他",), editions=ONLY_2021, exact=True),
    _own("total"),
    _req(
        "requests.carried_forward",
        "结转下年度继续办理",
        "四、结转下年度继续办理",
        BOTH,
        None,
        ("结转下年", "下年度继续办理", "结转下一年"),
    ),
)
# Words that name the 三、本年度办理结果 block itself (a context label, never a data row).
RESULTS_BLOCK_WORDS = ("本年度办理结果", "办理结果")
REQUEST_ROWS_BY_KEY = {r.metric.key: r for r in REQUEST_ROWS}

# Group subtotals, printed by some reports though the template has no such row.
DERIVED_GROUP_TOTALS = {
    "denied": "outcome.denied.total",
    "unavailable": "outcome.unavailable.total",
    "not_processed": "outcome.not_processed.total",
    "other": "outcome.other.total",
}


def request_rows(edition: str, other_has_subrows: bool | None = None) -> tuple[RequestRow, ...]:
    """The printed rows of part 三 in template order for an edition.

    ``other_has_subrows`` overrides the edition for （六）其他处理, because real 2021-edition
    reports sometimes still print the 2019 single row.
    """
    if other_has_subrows is None:
        other_has_subrows = edition == "2021"
    rows = []
    for row in REQUEST_ROWS:
        if row.group == "other":
            is_own = row.metric.key == "outcome.other.total"
            if is_own == other_has_subrows:
                continue
        elif edition not in row.metric.editions:
            continue
        rows.append(row)
    return tuple(rows)


# ---------------------------------------------------------------------------------------------
# Part 二: active disclosure
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActiveRow:
    key: str  # e.g. "rules"; metrics are "active.<key>.<column>"
    label: str
    variants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ActiveColumn:
    key: str
    label: str
    variants: tuple[str, ...] = ()
    unit: str = "件"
    signed: bool = False


ACTIVE_ROWS: tuple[ActiveRow, ...] = (
    ActiveRow("rules", "规章"),
    ActiveRow("normative_docs", "规范性文件", ("行政规范性文件",)),
    ActiveRow("licensing", "行政许可"),
    ActiveRow("other_services", "其他对外管理服务事项"),
    ActiveRow("penalty", "行政处罚"),
    ActiveRow("coercion", "行政强制"),
    ActiveRow("fees", "行政事业性收费"),
    ActiveRow("procurement", "政府集中采购"),
)
ACTIVE_ROWS_BY_KEY = {r.key: r for r in ACTIVE_ROWS}

ACTIVE_COLUMNS: tuple[ActiveColumn, ...] = (
    ActiveColumn("new_made", "本年新制作数量", ("新制作",)),
    ActiveColumn("new_published", "本年新公开数量", ("新公开",)),
    ActiveColumn("total_published", "对外公开总数量", ("公开总数",)),
    ActiveColumn("issued", "本年制发件数", ("制发",)),
    ActiveColumn("repealed", "本年废止件数", ("废止",)),
    ActiveColumn("in_force", "现行有效件数", ("现行有效",)),
    ActiveColumn("prev_items", "上一年项目数量", ("上一年",), unit="项"),
    ActiveColumn("net_change", "本年增/减", ("增/减", "增减", "增／减"), unit="项", signed=True),
    ActiveColumn("decisions", "处理决定数量", ("本年处理决定数量", "处理决定")),
    ActiveColumn("projects", "采购项目数量", ("采购项目",), unit="项"),
    ActiveColumn(
        "amount_wan",
        "金额（万元）",
        ("本年收费金额", "采购总金额", "收费金额", "总金额"),
        unit="万元",
    ),
)
ACTIVE_COLUMNS_BY_KEY = {c.key: c for c in ACTIVE_COLUMNS}


@dataclass(frozen=True, slots=True)
class ActiveTable:
    """One captioned sub-table of part 二 (第二十条第（N）项) in one edition."""

    item: str  # the numeral in 第二十条第（N）项
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    column_labels: tuple[str, ...]  # as printed in that edition


ACTIVE_TABLES: dict[str, tuple[ActiveTable, ...]] = {
    "2019": (
        ActiveTable(
            "一",
            ("rules", "normative_docs"),
            ("new_made", "new_published", "total_published"),
            ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
        ),
        ActiveTable(
            "五",
            ("licensing", "other_services"),
            ("prev_items", "net_change", "decisions"),
            ("上一年项目数量", "本年增/减", "处理决定数量"),
        ),
        ActiveTable(
            "六",
            ("penalty", "coercion"),
            ("prev_items", "net_change", "decisions"),
            ("上一年项目数量", "本年增/减", "处理决定数量"),
        ),
        ActiveTable("八", ("fees",), ("prev_items", "net_change"), ("上一年项目数量", "本年增/减")),
        ActiveTable(
            "九", ("procurement",), ("projects", "amount_wan"), ("采购项目数量", "采购总金额")
        ),
    ),
    "2021": (
        ActiveTable(
            "一",
            ("rules", "normative_docs"),
            ("issued", "repealed", "in_force"),
            ("本年制发件数", "本年废止件数", "现行有效件数"),
        ),
        ActiveTable("五", ("licensing",), ("decisions",), ("本年处理决定数量",)),
        ActiveTable("六", ("penalty", "coercion"), ("decisions",), ("本年处理决定数量",)),
        ActiveTable("八", ("fees",), ("amount_wan",), ("本年收费金额（单位：万元）",)),
    ),
}

# Fragments that betray a table's edition (spec §7.4), after normalisation.
EDITION_MARKERS = {
    "2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额"),
    "2019": (
        "本年新制作数量",
        "对外公开总数量",
        "上一年项目数量",
        "本年增/减",
        "第二十条第(九)项",
        "采购总金额",
        "其他对外管理服务事项",
    ),
}


def active_table(edition: str, item: str) -> ActiveTable | None:
    for t in ACTIVE_TABLES[edition]:
        if t.item == item:
            return t
    return None


# ---------------------------------------------------------------------------------------------
# Part 四: review and litigation
# ---------------------------------------------------------------------------------------------

REVIEW_GROUPS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"),
    ("litigation.direct", "行政诉讼·未经复议直接起诉"),
    ("litigation.after_review", "行政诉讼·复议后起诉"),
)
REVIEW_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)
# The 15 numbers in printed order.
REVIEW_KEYS = tuple(f"{g}.{o}" for g, _ in REVIEW_GROUPS for o, _ in REVIEW_OUTCOMES)
REVIEW_HEADER_WORDS = ("行政复议", "行政诉讼", "结果维持", "结果纠正", "尚未审结", "复议后起诉")

# ---------------------------------------------------------------------------------------------
# Prose publication counts (part 一)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Channel:
    key: str
    label: str
    keywords: tuple[str, ...]  # a clause naming one of these and a count belongs to the channel
    units: str = "条篇期件个次"  # the counting units a count of this channel is printed in


CHANNELS: tuple[Channel, ...] = (
    Channel("portal", "政府门户网站", ("政府门户网站", "门户网站", "政府网站")),
    Channel("wechat", "微信公众号", ("微信公众号", "微信")),
    Channel("weibo", "政务微博", ("微博",)),
    Channel("new_media", "政务新媒体", ("政务新媒体", "新媒体")),
    Channel("gazette", "政府公报", ("政府公报", "公报")),
    Channel("exec_meeting", "政府常务会议", ("常务会议",)),
    # Press conferences and interpretation events (解读会, 在线访谈) are counted in 场 too.
    Channel("interpretation", "政策解读", ("政策解读", "解读"), units="条篇期件个次场"),
    Channel("press_conference", "新闻发布会", ("新闻发布会", "发布会"), units="条篇期件个次场"),
    Channel("requests_received", "依申请公开(收到申请)", ("收到", "受理"), units="件条个份"),
)
CHANNELS_BY_KEY = {c.key: c for c in CHANNELS}

# ---------------------------------------------------------------------------------------------
# Audit rules
# ---------------------------------------------------------------------------------------------

SEVERITIES = ("error", "warning")
RULE_SCOPES = ("report", "cross_year")


@dataclass(frozen=True, slots=True)
class Rule:
    """One audit rule, the one place its id, severity and title are written.

    A finding carries the rule's id and takes its severity from here, whether the audit of
    one report (``pipelines.audit``, scope ``report``) or the warehouse's comparison of an
    organ's consecutive years (``pipelines.warehouse.derived``, scope ``cross_year``)
    emits it; the dashboard names a rule by its title.
    """

    id: str
    severity: str  # "error": cannot be true; "warning": only looks wrong
    title: str  # Chinese, one line
    scope: str  # "report" | "cross_year"


RULES: tuple[Rule, ...] = (
    Rule("H1", "error", "收支平衡：本年新收＋上年结转＝办理结果总计＋结转下年度", "report"),
    Rule("H2", "error", "办理结果各项之和＝（七）总计", "report"),
    Rule("H3", "error", "各类申请人之和＝总计列", "report"),
    Rule("H4", "error", "报告自加的小计＝其分项之和", "report"),
    Rule("H5", "error", "复议、诉讼各结果之和＝总计", "report"),
    Rule("P1", "warning", "数量应为非负整数", "report"),
    Rule("P2", "warning", "金额应为非负数", "report"),
    Rule("P3", "warning", "总计为空而分项不为零", "report"),
    Rule("A1", "error", "上一年项目数量＋本年增/减（本年项目数量）不能为负", "report"),
    Rule("A2", "warning", "本年制发件数－本年废止件数不应超过现行有效件数", "report"),
    Rule("A3", "error", "采购项目数量为0时采购总金额应为0", "report"),
    Rule("B1", "warning", "总计空白而同行各格填有数字（均为0）", "report"),
    Rule("B2", "warning", "第四部分一组（或整行）全部空白", "report"),
    Rule("R1", "warning", "数字超出同类数字的合理范围", "report"),
    Rule("R2", "error", "数字位数超过可精确保存的上限，未读取", "report"),
    Rule("S1", "warning", "本年上年结转＝上年报告的结转下年度", "cross_year"),
    Rule(
        "S2",
        "warning",
        "现行有效件数＝上年现行有效＋本年制发－本年废止，且本年废止不超过上年现行有效＋本年制发",
        "cross_year",
    ),
    Rule("S3", "warning", "上一年项目数量＝前一年报告的上一年项目数量＋本年增/减", "cross_year"),
    Rule("S4", "warning", "本年新公开数量不应超过对外公开总数量", "report"),
    Rule("X1", "warning", "正文所述收到申请数与第三部分表格不一致", "report"),
    Rule("X2", "warning", "正文所述主动公开数字与第二部分表格不一致", "report"),
)
RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}

# ---------------------------------------------------------------------------------------------
# The flat list every consumer reads
# ---------------------------------------------------------------------------------------------


def _active_metrics() -> list[Metric]:
    seen: dict[str, set[str]] = {}
    order: list[str] = []
    for edition, tables in ACTIVE_TABLES.items():
        for t in tables:
            for row in t.rows:
                for col in t.columns:
                    key = f"active.{row}.{col}"
                    if key not in seen:
                        seen[key] = set()
                        order.append(key)
                    seen[key].add(edition)
    out = []
    for key in order:
        _, row, col = key.split(".")
        r, c = ACTIVE_ROWS_BY_KEY[row], ACTIVE_COLUMNS_BY_KEY[col]
        label = f"{r.label}·{c.label}"
        out.append(
            Metric(
                key,
                "active",
                label,
                f"二/{r.label}/{c.label}",
                frozenset(seen[key]),
                c.unit,
                signed=c.signed,
            )
        )
    return out


def _review_metrics() -> list[Metric]:
    out = []
    for g, glabel in REVIEW_GROUPS:
        for o, olabel in REVIEW_OUTCOMES:
            out.append(
                Metric(f"{g}.{o}", "review", f"{glabel}·{olabel}", f"四/{glabel}/{olabel}", BOTH)
            )
    return out


DERIVED_METRICS: tuple[Metric, ...] = (
    Metric(
        "outcome.denied.total",
        "requests",
        "不予公开",
        f"{_RESULTS}/(三)不予公开",
        BOTH,
        derived=True,
    ),
    Metric(
        "outcome.unavailable.total",
        "requests",
        "无法提供",
        f"{_RESULTS}/(四)无法提供",
        BOTH,
        derived=True,
    ),
    Metric(
        "outcome.not_processed.total",
        "requests",
        "不予处理",
        f"{_RESULTS}/(五)不予处理",
        BOTH,
        derived=True,
    ),
)

METRICS: tuple[Metric, ...] = (
    *_active_metrics(),
    *(r.metric for r in REQUEST_ROWS),
    *_review_metrics(),
)
METRICS_BY_KEY: dict[str, Metric] = {m.key: m for m in (*METRICS, *DERIVED_METRICS)}

# ---------------------------------------------------------------------------------------------
# Plausible magnitudes (audit rules R1, R2; the parser's cap on digits)
# ---------------------------------------------------------------------------------------------

# A DOUBLE (the warehouse's facts.value) holds every number of up to 15 significant digits
# exactly (IEEE 754 guarantees 15 decimal digits round-trip), and a BIGINT (prose_counts.value)
# holds every 15-digit integer. A printed number with more digits than that cannot be
# stored as printed and is no count any organ could have (10^15 is 10^5 times the population
# of the earth), so the parser reads it as unreadable text, never as a rounded float.
MAX_EXACT_DIGITS = 15

# Above these a printed number is implausible (a warning, R1), not impossible. Each limit is
# an order-of-magnitude judgement (reasons below), set well above the largest real figures of
# its kind, so that a wrong unit, a pasted phone number or two cells run together stands out
# while a big organ's real figures do not. They are national limits: the audit does not know
# whether an organ is a province or a county department.
# - documents (规章, 规范性文件: made, published, issued, repealed, in force): a province has
#   a few thousand normative documents in force; 10^5 leaves room for a 2019 report that
#   counts every published item as 对外公开总数量.
# - items (上一年项目数量, 本年增/减, 采购项目数量): power lists and procurement projects run
#   to thousands, tens of thousands for a province.
# - decisions (处理决定数量): 行政处罚 including traffic tickets reach millions a year in a
#   big city; 10^8 is more than any one organ decides.
# - amounts (万元): the template notes city aggregates of 10^5 万元; a province's collective
#   procurement is about 10^7 万元 (1000亿元); 10^8 万元 is 1万亿元.
# - requests (part 三): the busiest governments see tens of thousands of requests a year.
# - review (part 四): review and litigation cases run to hundreds, thousands at most.
PLAUSIBLE_MAX: dict[str, int] = {
    "documents": 10**5,
    "items": 10**6,
    "decisions": 10**8,
    "amount_wan": 10**8,
    "requests": 10**6,
    "review": 10**5,
}
PLAUSIBLE_KIND_BY_COLUMN: dict[str, str] = {
    "new_made": "documents",
    "new_published": "documents",
    "total_published": "documents",
    "issued": "documents",
    "repealed": "documents",
    "in_force": "documents",
    "prev_items": "items",
    "net_change": "items",
    "projects": "items",
    "decisions": "decisions",
    "amount_wan": "amount_wan",
}


def _plausible_limits() -> dict[str, int]:
    out = {}
    for m in METRICS:
        kind = PLAUSIBLE_KIND_BY_COLUMN[m.key.rsplit(".", 1)[1]] if m.table == "active" else m.table
        out[m.key] = PLAUSIBLE_MAX[kind]
    return out


# The largest plausible absolute value of every printed metric (``PLAUSIBLE_MAX``).
PLAUSIBLE_MAX_BY_METRIC: dict[str, int] = _plausible_limits()
