"""What a report says, independent of its file format: headings, paragraphs and tables.

Every renderer (text, HTML, DOCX, PDF) draws the same ``Content``, so a number is placed in
the template once, here. Table labels come from ``pipelines.catalog`` (never retyped); the
few template texts the catalog does not hold (the part 三 note and header words, part
headings) are below. A ``Style`` holds the typographic habits that differ between real
reports — bracket width, numbering marks, the 部分公开 note, quote marks, how a blank cell is
written — and is drawn per report, so the parser meets them all.

The part 一 prose states publication counts the way real reports do
(``2023年，我区在政府网站平台主动公开政府信息1136条。``); each such sentence is kept with its
channel and number, as the ground truth of what the parser must pick out of the prose.
Other sentences carry no channel word next to a count, so nothing else is to be found.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pipelines import catalog
from pipelines import template_layout as layout
from pipelines.catalog import GROUPS_BY_KEY
from pipelines.demo.random_tools import chance, pick
from pipelines.demo.roster import Organ
from pipelines.demo.simulate import Figures
from pipelines.template_layout import CONTENT_HEAD, PART_HEADINGS

PARTIAL_NOTES = (
    "（区分处理的，只计这一情形，不计其他情形）",
    "(区分处理的,只记这一情形,不计其他情形)",  # the seed's wording and commas
    "",
)
_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass(slots=True)
class Grid:
    """A table as the template draws it: rows of cells with their spans."""

    part: str  # "active" | "requests" | "review"
    rows: list[list[Cell]]
    widths: list[float]  # relative column widths, for DOCX and PDF

    @property
    def width(self) -> int:
        return len(self.widths)


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int  # 0 the title, 1 a part, 2 a sub-heading inside part 一


@dataclass(frozen=True, slots=True)
class Para:
    text: str


Block = Heading | Para | Grid


@dataclass(frozen=True, slots=True)
class ProseFact:
    channel: str  # catalog Channel key
    value: int
    sentence: str


@dataclass(slots=True)
class Content:
    organ: Organ
    year: int
    title: str
    published: dt.date
    blocks: list[Block]
    prose: list[ProseFact] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Style:
    """Typographic habits of one report."""

    fullwidth: bool  # （一） rather than (一)
    numeral_space: bool  # "(一) 予以公开", as the seed
    leaf_mark: str  # the mark after a sub-row number: "." "．" "、"
    leaf_space: bool  # "1. 属于国家秘密"
    partial_note: str
    quotes: tuple[str, str]  # around 三安全一稳定
    normative_label: str  # the 2021 row label: 行政规范性文件 (official) or 规范性文件
    blank: str  # how a blank cell is written
    plus_sign: bool  # "+2" in 本年增/减
    active_split: bool  # part 二 as one table per caption rather than one table
    blank_legal: bool  # all-zero legal-person columns printed blank (as 沭阳)
    title_form: int


def choose_style(rng: random.Random) -> Style:
    """One report's habits, in roughly the proportions real reports show them."""
    return Style(
        fullwidth=chance(rng, 0.7),
        numeral_space=chance(rng, 0.2),
        leaf_mark=pick(rng, ((".", 0.7), ("．", 0.15), ("、", 0.15))),
        leaf_space=chance(rng, 0.25),
        partial_note=pick(rng, ((PARTIAL_NOTES[0], 0.75), (PARTIAL_NOTES[1], 0.1), ("", 0.15))),
        quotes=rng.choice((("“", "”"), ("“", "”"), ('"', '"'), ("「", "」"), ("", ""))),
        normative_label="行政规范性文件" if chance(rng, 0.8) else "规范性文件",
        blank=pick(rng, (("", 0.6), ("/", 0.2), ("—", 0.2))),
        plus_sign=chance(rng, 0.3),
        active_split=chance(rng, 0.4),
        blank_legal=chance(rng, 0.25),
        title_form=int(pick(rng, (("0", 0.7), ("1", 0.15), ("2", 0.1), ("3", 0.05)))),
    )


# --- labels -------------------------------------------------------------------------------------


def _bracket(numeral: str, style: Style) -> str:
    text = f"（{numeral}）" if style.fullwidth else f"({numeral})"
    return text + (" " if style.numeral_space else "")


def group_label(group: str, style: Style) -> str:
    g = GROUPS_BY_KEY[group]
    label = _bracket(g.numeral, style) + g.label
    if group == "partial":
        label += style.partial_note
    return label


def leaf_label(row: catalog.RequestRow, style: Style) -> str:
    """The printed sub-row label from the catalog path: ``1.属于国家秘密``."""
    last = row.metric.path.rsplit("/", 1)[-1]
    m = re.match(r"^(\d+)\.(.*)$", last)
    assert m, last
    text = m.group(2).replace("“", style.quotes[0]).replace("”", style.quotes[1])
    return m.group(1) + style.leaf_mark + (" " if style.leaf_space else "") + text


def active_row_label(key: str, edition: str, style: Style) -> str:
    if key == "normative_docs" and edition == "2021":
        return style.normative_label
    return catalog.ACTIVE_ROWS_BY_KEY[key].label


def caption(item: str, style: Style) -> str:
    return f"第二十条第（{item}）项" if style.fullwidth else f"第二十条第({item})项"


# --- cell text ----------------------------------------------------------------------------------


def fmt_value(value: int | float | None, style: Style, signed: bool = False) -> str:
    if value is None:
        return style.blank
    if signed and style.plus_sign and value > 0:
        return f"+{value}"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


# --- tables -------------------------------------------------------------------------------------


def active_grids(figures: Figures, style: Style) -> list[Grid]:
    """Part 二: one 4-column grid, or one per caption."""
    grids: list[Grid] = []
    rows: list[list[Cell]] = []
    for table in catalog.ACTIVE_TABLES[figures.edition]:
        if style.active_split and rows:
            grids.append(Grid("active", rows, [1.6, 1, 1, 1]))
            rows = []
        span = 3 - len(table.columns)  # a 1- or 2-column table spreads its last column
        rows.append([Cell(caption(table.item, style), colspan=4)])
        head = [Cell(CONTENT_HEAD)] + [Cell(label) for label in table.column_labels]
        rows.append(_spread(head, span))
        for row in table.rows:
            cells = [Cell(active_row_label(row, figures.edition, style))]
            for col in table.columns:
                key = f"active.{row}.{col}"
                raw = figures.amount_raw.get(key)
                signed = catalog.ACTIVE_COLUMNS_BY_KEY[col].signed
                value = figures.active[key]
                text = raw if raw is not None and value is not None else None
                cells.append(Cell(text if text is not None else fmt_value(value, style, signed)))
            rows.append(_spread(cells, span))
    grids.append(Grid("active", rows, [1.6, 1, 1, 1]))
    return grids


def _spread(cells: list[Cell], span: int) -> list[Cell]:
    if span <= 0:
        return cells
    last = cells[-1]
    return [*cells[:-1], Cell(last.text, colspan=1 + span)]


def _drawn(rows: list[layout.Row], text: Callable[[str], str]) -> list[list[Cell]]:
    return [
        [
            Cell(c.text, c.rowspan, c.colspan)
            if isinstance(c, layout.Head)
            else Cell(text(c.address))
            for c in row
        ]
        for row in rows
    ]


def requests_grid(figures: Figures, style: Style) -> Grid:
    """Part 三: the template's layout (``template_layout``), labels in the report's style."""
    labels = layout.RequestLabels(
        group=lambda g: group_label(g, style), leaf=lambda r: leaf_label(r, style)
    )
    values: dict[str, str] = {}
    for key, row in figures.requests.items():
        for applicant, v in zip(catalog.APPLICANT_KEYS, row, strict=True):
            values[f"{key}@{applicant}"] = fmt_value(v, style)
    rows = [
        *layout.requests_header(),
        *layout.requests_body(figures.edition, figures.other_subrows, labels),
    ]
    return Grid("requests", _drawn(rows, values.__getitem__), [0.5, 1.1, 2.6, 1, 1, 1, 1, 1, 1, 1])


def review_grid(figures: Figures, style: Style) -> Grid:
    """Part 四: the 3-level header and one row of 15 numbers."""
    values = dict(zip(catalog.REVIEW_KEYS, figures.review, strict=True))
    rows = _drawn(layout.review_rows(), lambda k: fmt_value(values[k], style))
    return Grid("review", rows, [1.0] * 15)


# --- prose --------------------------------------------------------------------------------------


def _short(organ: Organ) -> str:
    """The place's name without its suffix, as accounts are named: 淮阴区 -> 淮阴."""
    name = organ.place.name
    for suffix in ("自治县", "区", "县", "市"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _gov_short(organ: Organ) -> str:
    """How a report names its government's meetings: 区政府 / 县政府 / 市政府."""
    return organ.place.name[-1] + "政府"


class _Prose:
    """Builds paragraphs sentence by sentence, keeping every counted sentence."""

    def __init__(self) -> None:
        self.facts: list[ProseFact] = []

    def count(self, channel: str, value: int, sentence: str) -> str:
        self.facts.append(ProseFact(channel, value, sentence))
        return sentence


def _publish_sentences(p: _Prose, organ: Organ, figures: Figures, rng: random.Random) -> list[str]:
    year, counts, me = figures.year, figures.prose, organ.self_ref
    out: list[str] = []
    portal = counts["portal"]
    wechat = counts.get("wechat")
    if wechat is not None and chance(rng, 0.3):  # two channels in one clause
        s = f"全年在政府网站发布信息{portal}条、微信公众号发布{wechat}条。"
        out.append(p.count("portal", portal, s))
        p.count("wechat", wechat, s)
        wechat = None
    elif organ.kind == "government":
        s = rng.choice(
            (
                f"{year}年，{me}在政府网站平台主动公开政府信息{portal}条。",
                f"全年通过{organ.place.name}政府门户网站主动公开各类政府信息{portal}条。",
                f"{year}年，{me}通过政府门户网站公开政府信息{portal}条，"
                "涵盖机构职能、政策文件、财政预决算等内容。",
            )
        )
        out.append(p.count("portal", portal, s))
    else:
        s = rng.choice(
            (
                f"{year}年，{me}在{organ.place.name}人民政府门户网站主动公开政府信息{portal}条。",
                f"全年在政府门户网站本部门栏目发布各类信息{portal}条。",
            )
        )
        out.append(p.count("portal", portal, s))
    if wechat is not None:
        account = f"{_short(organ)}发布" if organ.department is None else f"{_short(organ)}"
        if organ.department is not None:
            account += organ.department.name.removesuffix("局").removesuffix("委员会")
        out.append(p.count("wechat", wechat, f"依托“{account}”微信公众号发布政务信息{wechat}条。"))
    if "weibo" in counts:
        out.append(p.count("weibo", counts["weibo"], f"通过政务微博发布信息{counts['weibo']}条。"))
    if "exec_meeting" in counts:
        n = counts["exec_meeting"]
        out.append(
            p.count(
                "exec_meeting",
                n,
                f"全年召开{_gov_short(organ)}常务会议{n}次，会议议定事项均按规定公开。",
            )
        )
    if "interpretation" in counts:
        n = counts["interpretation"]
        out.append(
            p.count("interpretation", n, f"围绕重要政策文件发布政策解读{n}篇，做到应解读尽解读。")
        )
    if "press_conference" in counts:
        n = counts["press_conference"]
        out.append(p.count("press_conference", n, f"举办新闻发布会{n}次。"))
    if "gazette" in counts:
        n = counts["gazette"]
        out.append(
            p.count(
                "gazette",
                n,
                f"编印《{organ.place.name}人民政府公报》{n}期，免费发放至图书馆和政务服务中心。",
            )
        )
    return out


def _request_sentence(p: _Prose, organ: Organ, figures: Figures, rng: random.Random) -> str:
    n = figures.prose["requests_received"]
    if n == 0 and chance(rng, 0.6):
        return f"{figures.year}年，{organ.self_ref}未收到政府信息公开申请。"
    s = rng.choice(
        (
            f"全年共收到政府信息公开申请{n}件，均在法定期限内予以答复。",
            f"{figures.year}年，{organ.self_ref}共受理政府信息公开申请{n}件，已全部按期办结或依法延期答复。",
            f"收到依申请公开政府信息{n}条，均已按期答复处理。",
        )
    )
    return p.count("requests_received", n, s)


_MANAGEMENT = (
    "严格落实政府信息公开保密审查制度，坚持“先审查、后公开”和“一事一审”原则，"
    "确保公开内容准确规范。",
    "建立健全政府信息公开属性源头认定机制，公文在拟制环节即明确公开属性。",
    "定期开展规范性文件清理工作，及时公布清理结果。",
)
_PLATFORM = (
    "持续优化政府信息公开专栏，及时更新“法定主动公开内容”等栏目，提升信息检索便利度。",
    "加强政务新媒体日常监管，落实内容审核和信息发布制度，确保发布信息安全准确。",
    "推进政务服务场所设置政府信息公开查阅点，方便群众就近查阅。",
)
_OVERSIGHT = (
    "将政务公开工作纳入年度综合考核，明确责任分工，强化督促检查。",
    "组织开展政务公开专题培训，进一步提升工作人员业务能力。",
    "本年度未发生因政府信息公开工作不到位而被责任追究的情况。",
)
_PROBLEMS = (
    "一是主动公开的深度和广度还需进一步拓展；二是政策解读形式还不够丰富；"
    "三是工作人员业务能力有待进一步提高。",
    "政府信息公开工作与群众期盼相比仍有差距，部分栏目更新不够及时，"
    "依申请公开答复规范化水平有待提升。",
)
_IMPROVEMENTS = (
    "{next}年，{me}将进一步加强组织领导，完善工作机制，提升公开质量。",
    "下一步，{me}将持续深化重点领域信息公开，丰富解读形式，加强业务培训。",
)


def _part_one(
    p: _Prose, organ: Organ, figures: Figures, rng: random.Random, style: Style
) -> list[Block]:
    blocks: list[Block] = [Heading(PART_HEADINGS[1], 1)]
    year, me = figures.year, organ.self_ref
    opening = (
        f"{year}年，{me}深入贯彻落实《中华人民共和国政府信息公开条例》，"
        "坚持以公开为常态、不公开为例外，不断提升政府信息公开工作质量。"
    )
    publish = _publish_sentences(p, organ, figures, rng)
    request = _request_sentence(p, organ, figures, rng)
    subs = (
        ("主动公开", "".join(publish)),
        ("依申请公开", request),
        ("政府信息管理", rng.choice(_MANAGEMENT)),
        ("政府信息公开平台建设", rng.choice(_PLATFORM)),
        ("监督保障", rng.choice(_OVERSIGHT)),
    )
    if figures.edition == "2019" and chance(rng, 0.5):
        # The 2008-style items the seed still used: fewer, looser sub-heads.
        blocks.append(Para(opening + "".join(publish)))
        blocks.append(Para(request + "不予公开政府信息的情况均依法告知理由。"))
        blocks.append(Para(rng.choice(_OVERSIGHT)))
        return blocks
    blocks.append(Para(opening))
    for i, (head, text) in enumerate(subs):
        mark = f"（{_NUMERALS[i]}）" if style.fullwidth else f"({_NUMERALS[i]})"
        blocks.append(Heading(f"{mark}{head}", 2))
        blocks.append(Para(text))
    return blocks


def _title(organ: Organ, year: int, style: Style) -> str:
    forms = (
        f"{organ.name}{year}年政府信息公开工作年度报告",
        f"{organ.name}{year}年度政府信息公开工作年度报告",
        f"{organ.name}政府信息公开工作年度报告",
        f"{year}年{organ.name}政府信息公开工作年度报告",
    )
    return forms[style.title_form]


def title_lines(content: Content) -> list[str]:
    """The title broken by hand the way authors break a long title: after the organ's name.

    A title that starts with the year (``2023年某局…``) is not broken (it is shrunk instead).
    """
    name = content.organ.name
    if content.title.startswith(name) and len(content.title) > len(name):
        return [name, content.title[len(name) :]]
    return [content.title]


def _published(organ: Organ, year: int, rng: random.Random) -> dt.date:
    """Departments publish by 31 January, governments by 31 March (条例 第四十九条)."""
    month = 1 if organ.kind == "department" else rng.choice((1, 2, 3))
    return dt.date(year + 1, month, rng.randint(5, 28))


def build_content(organ: Organ, figures: Figures, style: Style, rng: random.Random) -> Content:
    """The whole report: title, six parts, tables, and the prose with its counted sentences."""
    p = _Prose()
    year = figures.year
    blocks: list[Block] = [Heading(_title(organ, year, style), 0)]
    if chance(rng, 0.6):
        template = (
            "国办公开办函〔2021〕30号" if figures.edition == "2021" else "国办公开办函〔2019〕60号"
        )
        blocks.append(
            Para(
                "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和"
                f"《中华人民共和国政府信息公开工作年度报告格式》（{template}）要求编制，"
                "全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
                "政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项。"
                f"本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
            )
        )
    blocks.extend(_part_one(p, organ, figures, rng, style))
    blocks.append(Heading(PART_HEADINGS[2], 1))
    blocks.extend(active_grids(figures, style))
    blocks.append(Heading(PART_HEADINGS[3], 1))
    blocks.append(requests_grid(figures, style))
    blocks.append(Heading(PART_HEADINGS[4], 1))
    blocks.append(review_grid(figures, style))
    blocks.append(Heading(PART_HEADINGS[5], 1))
    blocks.append(Para(rng.choice(_PROBLEMS)))
    blocks.append(Para(rng.choice(_IMPROVEMENTS).format(next=year + 1, me=organ.self_ref)))
    blocks.append(Heading(PART_HEADINGS[6], 1))
    if figures.edition == "2021":
        fee = f"依据《政府信息公开信息处理费管理办法》，{organ.self_ref}{year}年未收取信息处理费。"
        blocks.append(Para(fee))
    else:
        blocks.append(Para("无其他需要报告的事项。"))
    title = _title(organ, year, style)
    return Content(organ, year, title, _published(organ, year, rng), blocks, p.facts)
