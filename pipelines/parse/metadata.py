"""Who published a report and for which year, read from its title and body.

The title is the first short line that names 政府信息公开…报告; the organ is what precedes
(or follows) the year in it, or the line above when the title is split over two lines. A
title without a year takes the year most often named in the part before part 二.

What stands there is taken as the organ only if it looks like an organ's name
(``looks_like_organ``). A line cut from a law's name (《…格式》), a spreadsheet formula
(``=HYPERLINK(…``), HTML left in a text copy or a sentence of the body would otherwise
become an organ of its own in the warehouse, with its own reports on every chart. Such a
title leaves the organ unknown (None, shown as 机关不详) with a warning naming what was
read; ``pipelines.prepare.identify`` then takes the organ from the manifest or a folder
name, or refuses the file. Places are resolved from the organ's name by
``pipelines.regions``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_TITLE = re.compile(
    r"^(?P<pre>.*?)(?:(?P<year>(?:19|20)\d{2})年度?)?(?P<mid>[^0-9]*?)政府信息公开(?:工作)?(?:年度)?(?:工作)?报告"
)
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?度")
_YEAR_LOOSE = re.compile(r"((?:19|20)\d{2})\s*年")
_LABEL_PREFIX = re.compile(r"^[^：:]{1,8}[：:]")
# A catalogue box's field name printed without a colon before the title (名称 | 某局…报告).
_FIELD_NAME = re.compile(r"^(?:名称|标题|题名|文件名称|信息名称)(?=.{6})")
# A cell a spreadsheet runs as a formula starts with one of these: a title that does was
# pasted out of a broken spreadsheet, and what follows the formula cannot be trusted.
_FORMULA_START = "=+@＝＋＠"

# ---------------------------------------------------------------------------------------------
# What an organ's name looks like
# ---------------------------------------------------------------------------------------------

# Chinese characters only, with bracketed groups of them inside or at the end
# (中国（江苏）自由贸易试验区…管理委员会): no digit, Latin letter, quote, book-title mark,
# formula sign or markup, and nothing bracketed at the start.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\u3007"
_NAME_SHAPE = re.compile(rf"[{_CJK}]+(?:[（(][{_CJK}]+[）)][{_CJK}]*)*")
_TRAILING_GROUP = re.compile(r"[（(][^（）()]*[）)]$")

# How the names of organs that publish these reports end (the longest that fits counts).
# From the demo roster (…局, 卫生健康委员会, 人民政府), the samples (政府办,
# 发展和改革局) and the shapes of real organ names: governments and their offices, bureaus
# and their branches, commissions, centres, halls, the administrative offices of the
# State Council (署), institutes, archives, stations, enforcement teams, sub-district
# offices, development-zone committees, and the people's bank's branches.
ORGAN_SUFFIXES: tuple[str, ...] = (
    "人民政府办公室",
    "人民政府办公厅",
    "政府办公室",
    "政府办公厅",
    "人民政府办",
    "政府办",
    "人民政府",
    "政府",
    "办公室",
    "办公厅",
    "研究室",
    "参事室",
    "办事处",
    "办",
    "局",
    "委员会",
    "委会",
    "委",
    "联合会",
    "协会",
    "红十字会",
    "商会",
    "中心",
    "厅",
    "处",
    "院",
    "所",
    "馆",
    "站",
    "队",
    "署",
    "部",
    "社",
    "银行",
    "支行",
    "分行",
    "电视台",
    "气象台",
    "兵团",
    "街道",
    "镇",
    "乡",
    "开发区",
    "高新区",
    "新区",
    "园区",
    "试验区",
    "示范区",
    "管理区",
    "保税区",
    "合作区",
)
# Words that end like an organ but name none: a verb with 办 (承办), 处 (查处, 不足之处),
# 局 (大局), 部 (内部), 署 (部署), a kind of government (各级政府, 法治政府), 网站 …
NOT_ORGAN_ENDINGS: tuple[str, ...] = (
    *("承办", "督办", "主办", "举办", "协办", "交办", "转办", "代办", "查办", "经办"),
    *("申办", "筹办", "创办", "开办", "兴办", "合办", "包办", "领办", "通办", "怎么办"),
    *("之处", "此处", "到处", "各处", "好处", "相处", "出处", "去处", "深处", "难处"),
    *("用处", "住处", "何处", "惩处", "查处", "论处", "判处", "处处"),
    *("大局", "格局", "布局", "结局", "全局", "开局", "当局", "时局", "变局", "新局"),
    *("内部", "全部", "局部", "外部", "干部", "东部", "西部", "南部", "北部", "中部"),
    *("部署", "签署", "为中心", "大厅", "展厅", "网站", "排队", "团队", "带队", "场所"),
    *("住所", "厕所", "城镇", "乡镇", "城乡", "家乡", "故乡", "下乡", "发布会"),
    *("级政府", "地方政府", "数字政府", "法治政府", "服务型政府", "透明政府", "阳光政府"),
    *("廉洁政府", "责任政府", "诚信政府", "满意政府"),
)
# Words a sentence has and an organ's name never does.
_SENTENCE_WORDS = (
    *("的", "了", "我", "根据", "按照", "依照", "依据", "关于", "印发", "通知"),
    *("条例", "规定", "报告", "年度", "情况", "以下简称", "如下", "现将", "公布", "要求"),
)
# Level words, which name no place: a suffix with only these before it is a name cut off at
# the front (区人民政府, 市政府办). 县教育局 names a kind of organ and is kept (its place is
# unknown, which the region says).
_GENERIC = set("省市区县州盟旗乡镇级本全各该")
MAX_ORGAN_LENGTH = 40

# Dropped at the edges of what stands in a title where the organ should: wrapping quotes and
# brackets, separators between the organ and the year (淮安市洪泽区人民政府——2023年…,
# 标题_站点名), and 关于 (印发) around it.
_OPENERS = "《「『“‘\"'（(【[〈"
_CLOSERS = "》」』”’\"'）)】]〉"
_SEPARATORS = " \u3000·•-—－_、，,：:|｜/"
_CONNECTOR = re.compile(r"^关于|关于(?:印发|公布|发布)?$")


def organ_suffix(name: str) -> str | None:
    """The organ suffix ``name`` ends with (the longest), or None."""
    core = _TRAILING_GROUP.sub("", name)
    if core.endswith(NOT_ORGAN_ENDINGS):
        return None
    best = None
    for suffix in ORGAN_SUFFIXES:
        if core.endswith(suffix) and (best is None or len(suffix) > len(best)):
            best = suffix
    if best is None:
        return None
    rest = core[: -len(best)]
    if len(rest) < 2 or all(c in _GENERIC for c in rest):
        return None  # 区人民政府, 市政府办: the name of the place was cut off
    return best


def looks_like_organ(name: str | None, *, place: bool = True) -> bool:
    """Whether ``name`` can be an organ's name: Chinese characters only (bracketed groups
    inside allowed), a plausible length, no sentence words, and an organ suffix.

    With ``place``, a bare place name of the gazetteer (洪泽区, 淮安市) also counts: a
    place's own report is its government's. A folder name must carry a suffix, since
    ``raw/江苏省/淮安市/`` names regions, not organs.
    """
    if not name or not 2 <= len(name) <= MAX_ORGAN_LENGTH:
        return False
    if not _NAME_SHAPE.fullmatch(name) or any(w in name for w in _SENTENCE_WORDS):
        return False
    if len(name) >= 3 and organ_suffix(name) is not None:
        return True
    if not place:
        return False
    from pipelines.regions import resolve_organ  # regions imports this package's model

    resolution = resolve_organ(name)
    return resolution.organ_suffix == "" and bool(resolution.region.code or resolution.candidates)


def _edges(text: str) -> str:
    """``text`` without whitespace, separators, wrapping brackets and 关于 at its edges.

    A bracket is dropped only where it wraps (an opener at the start, a closer at the end
    that closes nothing inside); a closer at the start or an opener at the end is left, so
    a cut-off fragment (定》）和《印发…) still shows as one.
    """
    text = re.sub(r"\s+", "", text)
    while True:
        before = text
        text = _CONNECTOR.sub("", text.strip(_SEPARATORS))
        text = text.lstrip(_OPENERS)
        while text and text[-1] in _CLOSERS and not _TRAILING_GROUP.search(text):
            text = text[:-1]
        if text == before:
            return text


class IdentityWarning(str):
    """A warning about who published a report or where (机关不详, an ambiguous place name).

    A manifest or a folder name can settle what the text could not, and then the warning
    is no longer true: ``pipelines.prepare.identify`` drops the warnings ``about`` what it
    settled, so a stored report never says 未能确定 about a region it has. A ``str``, so it
    is shown, serialised and stored like any other warning.
    """

    about: str  # "organ" | "region"

    def __new__(cls, text: str, about: str) -> IdentityWarning:
        self = super().__new__(cls, text)
        self.about = about
        return self

    def __reduce__(self) -> tuple[type[IdentityWarning], tuple[str, str]]:
        return (IdentityWarning, (str(self), self.about))


@dataclass(slots=True)
class Metadata:
    organ: str | None
    year: int | None
    title: str | None
    # why the organ is unknown (one warning, about "organ"), when it is
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Title:
    """A line that reads as a report's title, and what stands where its organ should."""

    text: str
    year: int | None
    read: str  # the organ's place in the title, "" if the title names none
    organ: str | None  # ``read``, or for a title with a year the line above, if an organ
    above: str | None = None  # for a bare title: the line above, if it is an organ's name
    formula: str = ""  # the formula sign the title starts with

    @property
    def bare(self) -> bool:
        """Only "政府信息公开年度报告": a portal's menu item, or a title's second half."""
        return not self.read and self.year is None and not self.formula


def _line_above(candidates: list[str], i: int) -> str | None:
    """The line above a title that names no organ, if it is an organ's name: the title's
    first half, as authors break a long title."""
    above = re.sub(r"\s+", "", candidates[i - 1]) if i > 0 else ""
    if not 2 <= len(above) <= 30 or re.search(r"[。，；：:]", above):
        return None
    above = _edges(above)
    return above if looks_like_organ(above) else None


def _read_title(candidates: list[str], i: int) -> _Title | None:
    compact = re.sub(r"\s+", "", candidates[i])
    if len(compact) > 80 or "政府信息公开" not in compact or "报告" not in compact:
        return None
    text = _FIELD_NAME.sub("", _LABEL_PREFIX.sub("", compact))
    m = _TITLE.search(text)
    if not m:
        return None
    year = int(m.group("year")) if m.group("year") else None
    if text[:1] in _FORMULA_START:
        return _Title(compact, year, "", None, formula=text[0])
    parts = [p for p in (_edges(m.group("pre")), _edges(m.group("mid"))) if p]
    if parts:
        organ = next((p for p in parts if looks_like_organ(p)), None)
        return _Title(compact, year, parts[0], organ)
    above = _line_above(candidates, i)
    if year is None:
        return _Title(compact, None, "", None, above=above)
    return _Title(compact, year, "", above)


def _unknown_organ(title: _Title | None) -> str:
    """The warning for a report whose organ stays unknown, naming what was read."""
    if title is None:
        return "未找到报告标题，未能读出发布机关名称（机关不详）"
    if title.formula:
        return (
            f"标题“{title.text}”以“{title.formula}”开头，像是电子表格公式的残留，"
            "未从中读取发布机关（机关不详）"
        )
    if title.read:
        return f"标题“{title.text}”中读到的“{title.read}”不像发布机关名称，未采用（机关不详）"
    return f"标题“{title.text}”中没有发布机关名称（机关不详）"


def read_metadata(lines: list[str], container_title: str | None, max_year: int) -> Metadata:
    """``lines``: the text rows before part 一 (and part 一 itself, for the year).

    The first title line that names an organ wins. A title that names none, or names
    something that is no organ, is kept for its year while later lines (a page's
    ``<title>``, the title repeated below a portal's header) may still name the organ; a
    bare "政府信息公开年度报告" lends the organ of the line above only when no title does.
    """
    candidates = list(lines[:40])
    if container_title:
        candidates.append(container_title)
    chosen: _Title | None = None
    first: _Title | None = None  # the first title line that names no organ
    bare: _Title | None = None  # the first bare one
    for i in range(len(candidates)):
        title = _read_title(candidates, i)
        if title is None:
            continue
        if title.organ is not None:
            chosen = title
            break
        if title.bare:
            bare = bare or title
        else:
            first = first or title
    warnings: list[str] = []
    if chosen is not None:
        organ, year = chosen.organ, chosen.year or (first.year if first else None)
    elif bare is not None and bare.above is not None:
        chosen, organ, year = bare, bare.above, first.year if first else None
    else:
        chosen = first or bare
        organ, year = None, chosen.year if chosen else None
        warnings.append(IdentityWarning(_unknown_organ(chosen), "organ"))
    if year is None or not (2008 <= year <= max_year):
        year = _year_from_body(lines, max_year)
    return Metadata(organ, year, chosen.text if chosen else None, warnings)


def _year_from_body(lines: list[str], max_year: int) -> int | None:
    counts: Counter[int] = Counter()
    for line in lines:
        for pattern, weight in ((_YEAR, 2), (_YEAR_LOOSE, 1)):
            for m in pattern.finditer(line):
                y = int(m.group(1))
                if 2008 <= y <= max_year:
                    counts[y] += weight
    if not counts:
        return None
    best = max(counts.values())
    return min(y for y, c in counts.items() if c == best)
