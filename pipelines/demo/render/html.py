"""A portal page with the report inside, as county and city sites publish them.

Around the report sits what a real page carries: navigation, a breadcrumb, the
information-disclosure catalogue box (索引号 / 发布机构 / 公开日期), a footer with the site's
registration numbers. The tables keep their ``rowspan``/``colspan`` merges. Half the pages
are Word exports: every run of text wrapped in ``<span><font>`` with ``<o:p>`` blanks, as
the 沭阳 page is. Header cells sometimes break with ``<br>``. Encodings: UTF-8 or GBK, the
latter declared in a ``<meta>`` tag as such sites do.
"""

from __future__ import annotations

import html
import random

from pipelines.demo.content import Content, Grid, Heading, Para
from pipelines.demo.random_tools import chance

_NAV = ("首页", "政务公开", "政务服务", "互动交流", "走进{place}")
_WORD_STYLE = "font-family: 仿宋_GB2312; font-size: 16pt"


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _word(text: str, rng: random.Random) -> str:
    """Text the way Word exports it: cut into runs, each wrapped in span and font."""
    if not text:
        return "<o:p>&nbsp;</o:p>"
    pieces: list[str] = []
    i = 0
    while i < len(text):
        step = rng.randint(3, 14)
        piece = _esc(text[i : i + step])
        pieces.append(f'<span style="{_WORD_STYLE}"><font face="仿宋_GB2312">{piece}</font></span>')
        i += step
    return "".join(pieces) + "<o:p></o:p>"


def _cell_text(text: str, word: bool, rng: random.Random, header: bool) -> str:
    if not text:
        return "&nbsp;" if chance(rng, 0.5) else ""
    if header and 4 <= len(text) <= 6 and chance(rng, 0.3):
        half = len(text) // 2  # a header broken over two lines: 结果<br>维持
        return _esc(text[:half]) + "<br/>" + _esc(text[half:])
    return _word(text, rng) if word else _esc(text)


def _table(grid: Grid, word: bool, rng: random.Random) -> str:
    out = ['<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse">']
    out.append("<tbody>")
    header_rows = {"requests": 3, "review": 3, "active": 0}[grid.part]
    for r, row in enumerate(grid.rows):
        out.append("<tr>")
        for cell in row:
            attrs = ""
            if cell.rowspan > 1:
                attrs += f' rowspan="{cell.rowspan}"'
            if cell.colspan > 1:
                attrs += f' colspan="{cell.colspan}"'
            text = _cell_text(cell.text, word, rng, header=r < header_rows)
            inner = f'<p align="center">{text}</p>' if word else text
            out.append(f'<td valign="middle"{attrs}>{inner}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def render_html(content: Content, rng: random.Random) -> bytes:
    organ = content.organ
    encoding = "gbk" if chance(rng, 0.25) else "utf-8"
    word = chance(rng, 0.5)
    place = organ.place.name
    site = f"{organ.region.city}{place}人民政府" if organ.level == "county" else f"{place}人民政府"
    index_no = (
        f"{organ.place.code}{rng.randint(10000, 99999)}/{content.year + 1}-{rng.randint(1, 99):05d}"
    )
    nav = "".join(f'<li><a href="#">{item.format(place=place)}</a></li>' for item in _NAV)
    body: list[str] = []
    for block in content.blocks:
        if isinstance(block, Heading):
            if block.level == 0:
                body.append(f'<h1 class="article-title">{_esc(block.text)}</h1>')
                body.append('<div class="article-content" id="zoomcon">')
            elif block.level == 1:
                text = _word(block.text, rng) if word else _esc(block.text)
                body.append(f'<p style="text-indent:2em"><strong>{text}</strong></p>')
            else:
                text = _word(block.text, rng) if word else _esc(block.text)
                body.append(f'<p style="text-indent:2em">{text}</p>')
        elif isinstance(block, Para):
            text = _word(block.text, rng) if word else _esc(block.text)
            body.append(f'<p style="text-indent:2em;line-height:2">{text}</p>')
        else:
            body.append(f'<div align="center">{_table(block, word, rng)}</div>')
    body.append("</div>")
    name_row = ""
    if chance(rng, 0.4):  # the catalogue box repeats the title, without a colon (沭阳)
        name_row = f'<tr><td>名称</td><td colspan="3">{_esc(content.title)}</td></tr>\n'
    side = ""
    if chance(rng, 0.3):  # a side menu of the disclosure catalogue
        side = (
            '<ul class="side"><li>政府信息公开指南</li><li>政府信息公开制度</li>'
            "<li>法定主动公开内容</li><li>政府信息公开年度报告</li></ul>\n"
        )
    crumb = " &gt; ".join(
        f'<a href="#">{x}</a>' for x in ("首页", "政府信息公开", "政府信息公开年报")
    )
    site_id = f"{organ.place.code}{rng.randint(1000, 9999)}"
    page = f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={encoding}" />
<title>{_esc(content.title)}_{_esc(site)}</title>
<link rel="stylesheet" href="/css/style.css" />
<script type="text/javascript">var siteId = "{organ.place.code}";</script>
</head>
<body>
<div class="header"><div class="logo">{_esc(site)}</div>
<ul class="nav">{nav}</ul></div>
{side}<div class="crumb">当前位置：{crumb}</div>
<table class="xxgk_table">
{name_row}<tr><td>索引号：</td><td>{index_no}</td><td>信息分类：</td><td>政府信息公开年报</td></tr>
<tr><td>发布机构：</td><td>{_esc(organ.name)}</td><td>发文日期：</td><td>{content.published.isoformat()}</td></tr>
</table>
{chr(10).join(body)}
<div class="footer">
<p>主办：{_esc(site)}办公室　　联系电话：{rng.randint(10000000, 99999999)}</p>
<p>网站标识码：{site_id}　　ICP备案号：{rng.randint(10000000, 99999999)}号</p>
</div>
</body>
</html>
"""
    return page.encode(encoding)
