"""Values from outside the code shown as text, never as markup.

Most of what the dashboard prints is not its own: an organ's name, a region, a file name and
a sentence come from report files (anyone can publish one), and ``?report=`` comes from
whoever wrote the link. Streamlit renders Markdown with its own extensions (colours, icons,
LaTeX) in ``st.markdown``, ``st.caption``, ``st.warning``, headings, ``st.page_link`` and
metric labels; ``st.html`` renders HTML; Plotly renders a subset of HTML (``<a href>``,
``<span style>``) in axis labels, legends and hover text. Unescaped, such a value becomes a
link, or an image fetched from another host as soon as the page opens. So every outside
value goes through one of these functions where it is put into markup, and the UI's own
Markdown (bold headings, badges, icons) stays outside them.
"""

from __future__ import annotations

import html as _html
import re
import string

# CommonMark lets any ASCII punctuation be backslash-escaped and then prints it as itself:
# escaping all of it covers Markdown, GFM tables and strikethrough, raw HTML, entities and
# Streamlit's extensions (``:red[…]``, ``:material/…:``, ``$…$``) alike, without a list of
# special characters to keep up to date. A line break would let a value start a block (a
# heading, a list, a table) mid-sentence, so it becomes a space.
_MARKDOWN = {ord(c): "\\" + c for c in string.punctuation} | {ord("\n"): " ", ord("\r"): " "}
# Escapes do not stop GFM's autolinks: Streamlit's Markdown also finds ``https://…``,
# ``www.…`` and ``name@host.domain`` in the text once it is parsed, escapes and all. An
# invisible WORD JOINER after the colon of ``://``, after ``www`` and after ``@`` breaks
# the pattern without changing what the reader sees.
_AUTOLINK = re.compile(r"(?i):(?=//)|www(?=\.)|@")
_JOINER = "\u2060"


def md(value: object) -> str:
    """``value`` as literal text inside Markdown: ``[x](y)`` is shown, not linked."""
    text = _AUTOLINK.sub(lambda m: m.group(0) + _JOINER, str(value))
    return text.translate(_MARKDOWN)


def code(value: object) -> str:
    """``value`` as an inline code span, verbatim whatever backticks it holds (file paths)."""
    text = " ".join(str(value).splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    # One space inside each end is stripped by Markdown; it keeps a backtick at either end of
    # the value from joining the fence.
    return f"{fence} {text} {fence}"


def html(value: object) -> str:
    """``value`` as text inside HTML (``st.html``), attribute values included."""
    return _html.escape(str(value))


def plot(value: object) -> str:
    """``value`` as text in a Plotly label or hover text.

    Plotly reads tags (``<a href>``, ``<b>``, ``<br>``) before it decodes entities, and
    decodes ``&lt;`` ``&gt;`` ``&amp;`` and numeric references but not ``&quot;``: so the
    angle brackets and ampersands are escaped and quotes left as they are.
    """
    return _html.escape(str(value), quote=False)
