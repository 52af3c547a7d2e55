"""Who published a report, read from its title: an organ's name or nothing, never a fragment.

Both directions: titles that cannot be read (a law's name, a formula, markup, a body
sentence, a title cut short …) leave the organ unknown with a warning naming what was read,
and the titles of real organs (the samples, every organ of the demo roster) still give
their organ exactly. Also part 一's counts in 场.
"""

from __future__ import annotations

import pytest

from pipelines.cli import render_text
from pipelines.demo.roster import DEFAULT_CITIES, DEPARTMENTS, iter_organs
from pipelines.parse.metadata import looks_like_organ, read_metadata
from pipelines.pipeline import parse_bytes, parse_file
from pipelines.regions import gazetteer
from tests.helpers import SAMPLES
from tests.warehouse_helpers import SEED_TEXT

SEED_TITLE = "前进区政府办政府信息公开工作年度报告"
MAX_YEAR = 2030

# (title, what its warning must name). Each title replaces the seed's, so the report is a
# real one whose title alone is broken.
BROKEN_TITLES: list[tuple[str, str]] = [
    # fragments of a law's or a notice's name
    (
        "定》）和《印发中华人民共和国政府信息公开工作年度报告格式的通知》",
        "“定》）和《印发中华人民共和国”不像发布机关名称",
    ),
    ("《中华人民共和国政府信息公开工作年度报告格式》", "“中华人民共和国”不像"),
    ("中华人民共和国政府信息公开工作年度报告格式", "“中华人民共和国”不像"),
    (
        "《国务院办公厅政府信息公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》",
        "“国务院办公厅政府信息公开办公室关于印发〈中华人民共和国”不像",
    ),
    (
        "根据《政府信息公开条例》编制本机关2023年政府信息公开工作年度报告",
        "“根据《政府信息公开条例》编制本机关”不像",
    ),
    ("《条例》和《政府信息公开工作年度报告格式》", "“条例》和《”不像"),
    (
        "政府信息公开条例》第五十条规定，2023年政府信息公开工作年度报告",
        "“政府信息公开条例》第五十条规定”不像",
    ),
    ("《条例》规定的政府信息公开工作年度报告", "“条例》规定的”不像"),
    ("条例》（以下简称《条例》）2022年政府信息公开工作年度报告", "不像发布机关名称"),
    # titles in 《…》 that name no organ
    ("《2023年政府信息公开工作年度报告》", "中没有发布机关名称"),
    ("《政府信息公开工作年度报告》", "中没有发布机关名称"),
    ("《关于2023年政府信息公开工作年度报告》", "中没有发布机关名称"),
    ("“《》”2023年政府信息公开工作年度报告", "中没有发布机关名称"),
    # spreadsheet formulas (=, +, @) before the organ
    ("=HYPERLINK(1)前进区政府办政府信息公开工作年度报告", "以“=”开头"),
    ("=HYPERLINK(1)前进区政府办2020年政府信息公开工作年度报告", "以“=”开头"),
    ("+前进区政府办政府信息公开工作年度报告", "以“+”开头"),
    ("@SUM(A1)前进区政府办政府信息公开工作年度报告", "以“@”开头"),
    ("=前进区政府办2020年政府信息公开工作年度报告", "以“=”开头"),
    ("＝淮安市洪泽区人民政府2023年政府信息公开工作年度报告", "以“＝”开头"),
    ('="淮安市洪泽区人民政府"&"2023年政府信息公开工作年度报告"', "以“=”开头"),
    ("@淮安市洪泽区人民政府2023年政府信息公开工作年度报告", "以“@”开头"),
    ("+=CMD|' /C calc'!A0 政府信息公开工作年度报告", "以“+”开头"),
    # titles cut short
    ("淮安市洪泽区人民政2023年政府信息公开工作年度报告", "“淮安市洪泽区人民政”不像"),
    ("淮安市洪泽区人民2023年政府信息公开工作年度报告", "“淮安市洪泽区人民”不像"),
    ("区人民政府2023年政府信息公开工作年度报告", "“区人民政府”不像"),
    ("人民政府2023年政府信息公开工作年度报告", "“人民政府”不像"),
    ("政府办2020年政府信息公开工作年度报告", "“政府办”不像"),
    ("沭阳县发展和改2023年政府信息公开工作年度报告", "“沭阳县发展和改”不像"),
    ("市人民政府办公室2023年政府信息公开工作年度报告", "“市人民政府办公室”不像"),
    ("...洪泽区人民政府2023年政府信息公开工作年度报告", "“...洪泽区人民政府”不像"),
    ("…洪泽区人民政府2023年政府信息公开工作年度报告", "“…洪泽区人民政府”不像"),
    # OCR noise and mojibake
    ("淮安市洪泽区人民政■2023年政府信息公开工作年度报告", "“淮安市洪泽区人民政■”不像"),
    ("淮安市洪l泽区人民政府2023年政府信息公开工作年度报告", "“淮安市洪l泽区人民政府”不像"),
    ("涯安市洪泽区人民政屑2023年政府信息公开工作年度报告", "“涯安市洪泽区人民政屑”不像"),
    ("淮安市洪泽区人民政府2O23年政府信息公开工作年度报告", "“淮安市洪泽区人民政府2O23”不像"),
    ("ĺ®‰ĺ®‰ĺ¸‚2023年政府信息公开工作年度报告", "“ĺ®‰ĺ®‰ĺ¸‚”不像"),
    ("锟斤拷锟斤拷2023年政府信息公开工作年度报告", "“锟斤拷锟斤拷”不像"),
    ("\ufffd\ufffd淮安市洪泽区人民政府2023年政府信息公开工作年度报告", "不像发布机关名称"),
    ("娣\ufffd瀹夊競2023年政府信息公开工作年度报告", "不像发布机关名称"),
    ("淮安市洪泽区人民政府°2023年政府信息公开工作年度报告", "“淮安市洪泽区人民政府°”不像"),
    # English
    ("Annual Report on Government Information Disclosure 2023", "未找到报告标题"),
    (
        "Hongze District People's Government 2023年政府信息公开工作年度报告",
        "“HongzeDistrictPeople'sGovernment”不像",
    ),
    ("XX County Government政府信息公开工作年度报告", "“XXCountyGovernment”不像"),
    # only a year
    ("2023年政府信息公开工作年度报告", "中没有发布机关名称"),
    ("2023年度政府信息公开工作年度报告", "中没有发布机关名称"),
    ("二〇二三年政府信息公开工作年度报告", "“二〇二三年”不像"),
    # only 政府信息公开工作年度报告
    ("政府信息公开工作年度报告", "中没有发布机关名称"),
    ("政府信息公开年度报告", "中没有发布机关名称"),
    ("政府信息公开工作报告", "中没有发布机关名称"),
    # HTML left in a text copy
    (
        "<h1>淮安市洪泽区人民政府2023年政府信息公开工作年度报告</h1>",
        "“<h1>淮安市洪泽区人民政府”不像",
    ),
    ("&nbsp;&nbsp;淮安市洪泽区人民政府2023年政府信息公开工作年度报告", "不像发布机关名称"),
    (
        '<span style="font-size:16px">淮安市洪泽区人民政府</span>2023年政府信息公开工作年度报告',
        "不像发布机关名称",
    ),
    ("</p><p>2023年政府信息公开工作年度报告", "“</p><p>”不像"),
    ("淮安市洪泽区人民政府&middot;2023年政府信息公开工作年度报告", "不像发布机关名称"),
    # a sentence from the body
    ("现将本机关2023年政府信息公开工作年度报告公布如下", "“现将本机关”不像"),
    ("本报告由前进区政府办编制，2020年政府信息公开工作年度报告", "不像发布机关名称"),
    ("我局认真编制2023年政府信息公开工作年度报告", "“我局认真编制”不像"),
    ("全区各级政府2023年政府信息公开工作年度报告", "“全区各级政府”不像"),
    ("如需了解政府信息公开工作年度报告", "“如需了解”不像"),
    ("按要求按时发布政府信息公开工作年度报告", "“按要求按时发布”不像"),
    ("各单位要按时报送2023年政府信息公开工作年度报告", "“各单位要按时报送”不像"),
    ("本机关政府信息公开工作年度报告", "“本机关”不像"),
    ("上级政府2023年政府信息公开工作年度报告", "“上级政府”不像"),
    ("建设法治政府2023年政府信息公开工作年度报告", "“建设法治政府”不像"),
    ("召开新闻发布会解读政府信息公开工作年度报告", "“召开新闻发布会解读”不像"),
    ("依法查处政府信息公开工作年度报告", "“依法查处”不像"),
]


def test_the_corpus_of_broken_titles_is_large_and_distinct() -> None:
    titles = [t for t, _ in BROKEN_TITLES]
    assert len(titles) >= 50 and len(set(titles)) == len(titles)


@pytest.mark.parametrize(("title", "named"), BROKEN_TITLES, ids=range(len(BROKEN_TITLES)))
def test_a_broken_title_gives_no_organ_and_says_why(title: str, named: str) -> None:
    text = SEED_TEXT.replace(SEED_TITLE, title)
    assert text != SEED_TEXT
    report = parse_bytes(text.encode("utf-8"), "report.txt")
    assert report.organ is None
    about = [w for w in report.warnings if "机关不详" in w]
    assert len(about) == 1 and named in about[0], report.warnings
    assert render_text(report).split(" · ")[0] == "（机关不详）"
    # the tables are read all the same
    assert len(report.facts) == len(parse_file(SAMPLES / "000_seed.txt").facts)


def test_a_title_split_over_two_lines_takes_the_line_above_only_if_it_is_an_organ() -> None:
    title = "2023年政府信息公开工作年度报告"
    assert (
        read_metadata(["淮安市洪泽区人民政府", title], None, MAX_YEAR).organ
        == "淮安市洪泽区人民政府"
    )
    for above in ("我局高度重视，认真编制", "首页", "=HYPERLINK(1)", "淮安市洪泽区人民政"):
        meta = read_metadata([above, title], None, MAX_YEAR)
        assert (meta.organ, meta.year) == (None, 2023), above
        assert meta.warnings == [f"标题“{title}”中没有发布机关名称（机关不详）"]


def test_a_later_title_may_name_the_organ_a_broken_one_did_not() -> None:
    """A portal's heading line is garbage, the page's <title> names the organ."""
    meta = read_metadata(
        ["=HYPERLINK(1)政府信息公开工作年度报告", "一、总体情况"],
        "淮安市洪泽区人民政府2023年政府信息公开工作年度报告_淮安市洪泽区人民政府",
        MAX_YEAR,
    )
    assert (meta.organ, meta.year, meta.warnings) == ("淮安市洪泽区人民政府", 2023, [])


def test_a_menu_item_lends_the_line_above_only_when_no_title_names_an_organ() -> None:
    lines = [
        "洪泽区人民政府",
        "政府信息公开年度报告",
        "淮安市洪泽区教育局2023年政府信息公开工作年度报告",
    ]
    assert read_metadata(lines, None, MAX_YEAR).organ == "淮安市洪泽区教育局"
    assert read_metadata(lines[:2], None, MAX_YEAR).organ == "洪泽区人民政府"


# ---------------------------------------------------------------------------------------------
# Real titles still give their organ exactly
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "organ"),
    [
        ("000_seed.txt", "前进区政府办"),
        ("shuyang_fgj_2023.html", "沭阳县发展和改革局"),
        ("hzq_2023.pdf", "洪泽区人民政府"),
        ("hzq_2024.pdf", "淮安市洪泽区人民政府"),
    ],
)
def test_the_samples_keep_their_organ(sample: str, organ: str) -> None:
    report = parse_file(SAMPLES / sample)
    assert report.organ == organ
    assert not [w for w in report.warnings if "机关不详" in w]


def _titles(name: str, year: int = 2023) -> list[str]:
    """The four title forms of the demo corpus (pipelines.demo.content._title)."""
    return [
        f"{name}{year}年政府信息公开工作年度报告",
        f"{name}{year}年度政府信息公开工作年度报告",
        f"{name}政府信息公开工作年度报告",
        f"{year}年{name}政府信息公开工作年度报告",
    ]


def test_every_organ_of_the_demo_roster_is_read_exactly() -> None:
    """The demo's four cities with every department type (a superset of the demo roster),
    in the four title forms the demo prints."""
    every = (len(DEPARTMENTS), len(DEPARTMENTS))
    organs = [o.name for o in iter_organs(DEFAULT_CITIES, departments=every)]
    assert len(organs) == 4 + 31 * (1 + 25)  # city governments, counties × (government + 25)
    assert "淮安市洪泽区人民政府" in organs
    assert "淮安市洪泽区卫生健康委员会" in organs and "淮安市人民政府" in organs
    wrong = [
        (title, meta.organ)
        for name in organs
        for title in _titles(name)
        if (meta := read_metadata([title], None, MAX_YEAR)).organ != name
    ]
    assert wrong == []


def test_every_government_of_the_country_is_read_exactly() -> None:
    """The roster's government names for every city (图们市 has a 们, 南部县 ends in 南部)
    and every division's bare name (a place's own report is its government's)."""
    governments = [o.name for o in iter_organs("all", departments=(0, 0))]
    places = [p.name for p in gazetteer().by_code.values() if p.level in ("province", "city")]
    places += [p.name for p in gazetteer().by_code.values() if p.level == "county"]
    assert len(governments) > 2800
    wrong = [
        (name, meta.organ)
        for name in [*governments, *places]
        if name != "澳门特别行政区直辖"  # a grouping of the gazetteer, not a place
        if (meta := read_metadata([_titles(name)[0]], None, MAX_YEAR)).organ != name
    ]
    assert wrong == []


REAL_ORGANS = [
    "国务院办公厅",
    "海关总署",
    "江苏省人民政府",
    "江苏省教育厅",
    "北京市朝阳区人民政府",
    "郊区政府办",
    "佳木斯市前进区人民政府办公室",
    "淮安市洪泽区发展和改革委员会",
    "淮安市洪泽区发改委",
    "国家税务总局淮安市洪泽区税务局",
    "淮安市公安局交通警察支队",
    "淮安市洪泽区高良涧街道办事处",
    "淮安市洪泽区老子山镇人民政府",
    "淮安经济技术开发区管理委员会",
    "淮安市档案馆",
    "淮安市政务服务中心",
    "淮安市洪泽区司法局高良涧司法所",
    "淮安市洪泽区农业技术推广站",
    "淮安市洪泽区城市管理综合执法大队",
    "淮安市洪泽区扶贫办",
    "淮安市洪泽区残疾人联合会",
    "淮安市洪泽区供销合作社",
    "中国人民银行淮安市中心支行",
    "中国（上海）自由贸易试验区管理委员会",
    "苏州工业园区",
    "江苏省人民政府研究室",
    "淮安市洪泽区人民政府办公室（区政府研究室）",
]


@pytest.mark.parametrize("organ", REAL_ORGANS)
def test_real_organ_names_are_read_exactly(organ: str) -> None:
    for title in _titles(organ):
        assert read_metadata([title], None, MAX_YEAR).organ == organ, title


def test_a_folder_must_carry_an_organ_suffix_a_title_may_be_a_place() -> None:
    assert looks_like_organ("淮安市") and looks_like_organ("洪泽区")
    assert not looks_like_organ("淮安市", place=False)
    assert not looks_like_organ("江苏省", place=False)
    assert looks_like_organ("淮安市洪泽区人民政府", place=False)
    assert not looks_like_organ("2023", place=False)


# ---------------------------------------------------------------------------------------------
# Part 一's counts in 场
# ---------------------------------------------------------------------------------------------


def test_press_conferences_and_interpretations_counted_in_chang_are_read() -> None:
    """The seed's fee sentence edited to state events in 场: each counts for the channels
    counted in 场 (catalog.CHANNELS' units), never for one that is not (the portal)."""
    old = "2020 年前进区政府办没有政府信息公开收费情况发生。"
    new = (
        "2020 年前进区政府办召开新闻发布会 5 场，开展政策解读活动 3 场，"
        "通过政府门户网站举办在线访谈 2 场。"
    )
    assert old in SEED_TEXT
    report = parse_bytes(SEED_TEXT.replace(old, new).encode("utf-8"), "seed.txt")
    counts = {(p.channel, p.value) for p in report.prose_counts if p.sentence == new}
    assert counts == {("press_conference", 5), ("interpretation", 3)}
    # and the seed's own count is still there
    assert ("requests_received", 4) in {(p.channel, p.value) for p in report.prose_counts}
