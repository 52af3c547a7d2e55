"""The briefing's charts as PNG images, drawn with matplotlib on its Agg canvas.

Why matplotlib and not the dashboard's Plotly figures: Plotly's static export drives a
Chrome, and the briefing must be made on a server that has no browser. The charts keep the
dashboard's look (``dashboard.colors``, counts written "8,000" or "0.8万" by
``charts.count_ticks``, years as categories with how many organs reported under them) so a
reader who knows the overview recognises them in print.

Chinese text needs a CJK font. One is looked up through matplotlib's font manager (Noto Sans
CJK SC first, as Debian's ``fonts-noto-cjk`` installs it); when none is found the charts are
left out and the caller says why, because a chart whose labels are boxes is worse than none.
Any glyph the chosen font lacks also drops the chart (``MissingGlyphError``), never a box.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike

from matplotlib import font_manager, ft2font, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from dashboard import charts, colors, fmt, labels, measures

# Most wanted first: the dashboard's own stack (``charts.FONT``), then other common CJK fonts.
PREFERRED_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Noto Serif CJK SC",
)
# Characters a font must have to be taken for a Chinese one: a sample of what the charts print.
PROBE = "政府信息公开年度报告本年新收申请件率予以部分不予无法提供处理其他复议诉讼机关个年"
DPI = 200
WIDTH_IN = 6.3  # about 16 cm: the text width of an A4 page with 2.5 cm margins
GRID = "#eceff1"  # as charts.layout draws a grid and the zero line
ZERO = "#cfd8dc"
TEXT = "#263238"

# rcParams are process-wide and Streamlit serves sessions on threads: one chart at a time.
_LOCK = threading.Lock()


class MissingGlyphError(RuntimeError):
    """The font lacks a character the chart prints: the chart is dropped, not drawn with a box."""


@dataclass(frozen=True, slots=True)
class CjkFont:
    family: str
    path: str
    face_index: int = 0


def _faces(path: str) -> list[font_manager.FontEntry]:
    """Every face of a font file (a ``.ttc`` holds several) as the font manager lists them."""
    try:
        first = ft2font.FT2Font(path)
        faces = [first] + [
            ft2font.FT2Font(path, face_index=i) for i in range(1, getattr(first, "num_faces", 1))
        ]
        return [font_manager.ttfFontProperty(f) for f in faces]
    except Exception:  # an unreadable or foreign file in a font folder is not a font
        return []


def _covers(entry: font_manager.FontEntry, text: str) -> bool:
    """Every character of ``text`` has a glyph of its own in the font.

    A fallback font such as matplotlib's own "Last Resort" maps every code point to one
    placeholder per Unicode block: that is a box drawn on purpose, so characters sharing
    glyphs do not count as covered.
    """
    if "last resort" in entry.name.lower():
        return False
    try:
        face = ft2font.FT2Font(str(entry.fname), face_index=getattr(entry, "index", 0))
        charmap = face.get_charmap()
    except Exception:
        return False
    chars = set(text)
    glyphs = {charmap.get(ord(c)) for c in chars}
    return None not in glyphs and 0 not in glyphs and len(glyphs) == len(chars)


def find_cjk_font(font_dirs: Iterable[str | PathLike[str]] | None = None) -> CjkFont | None:
    """The font the charts are drawn in, or None when no font here can print Chinese.

    ``font_dirs`` None: the fonts matplotlib's font manager knows (the system's). Given,
    only the font files under those folders, so a caller (a test) can point the lookup at
    an empty folder or at Latin-only fonts and see what a machine without CJK fonts gets.
    """
    if font_dirs is None:
        entries = list(font_manager.fontManager.ttflist)
    else:
        paths = font_manager.findSystemFonts(fontpaths=[str(d) for d in font_dirs])
        entries = [e for p in sorted(paths) for e in _faces(p)]

    def rank(e: font_manager.FontEntry) -> tuple[int, int, str]:
        preferred = (
            PREFERRED_FAMILIES.index(e.name)
            if e.name in PREFERRED_FAMILIES
            else len(PREFERRED_FAMILIES)
        )
        weight = e.weight if isinstance(e.weight, int) else 400
        return preferred, abs(weight - 400) + (0 if e.style == "normal" else 1000), e.name

    for entry in sorted(entries, key=rank):
        if _covers(entry, PROBE):
            if font_dirs is not None:
                # make it known by name to the font manager that draws the text
                font_manager.fontManager.addfont(entry.fname)
            return CjkFont(entry.name, str(entry.fname), getattr(entry, "index", 0))
    return None


# ---------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------


def _rc(font: CjkFont) -> dict[str, object]:
    return {
        "font.family": [font.family],
        "font.size": 9,
        "axes.unicode_minus": False,  # an ASCII minus: no font lacks it
        "axes.edgecolor": ZERO,
        "axes.labelcolor": TEXT,
        "xtick.color": TEXT,
        "ytick.color": TEXT,
        "text.color": TEXT,
        "svg.fonttype": "none",
    }


def render(font: CjkFont, draw: Callable[[Figure], None], height_in: float = 2.6) -> bytes:
    """One chart as PNG bytes; raises ``MissingGlyphError`` if any character had no glyph."""
    with _LOCK, rc_context(_rc(font)), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, facecolor="white")
        FigureCanvasAgg(fig)
        draw(fig)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    if missing:
        raise MissingGlyphError("; ".join(sorted(set(missing))))
    return out.getvalue()


def _frame(ax: Axes) -> None:
    """The dashboard's look: white plot, light horizontal grid, no box."""
    ax.set_facecolor("white")
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(ZERO)
    ax.tick_params(axis="both", length=0)


def _year_axis(ax: Axes, years: Sequence[int], coverage: Mapping[int, int] | None) -> None:
    """Every year a tick; with ``coverage``, the organs that reported under it in grey, as
    ``charts.year_axis`` writes them."""
    ax.set_xticks(list(years), [str(y) for y in years])
    if coverage:
        for y in years:
            ax.annotate(
                f"{coverage.get(y, 0)}个机关",
                (y, 0),
                xycoords=("data", "axes fraction"),
                xytext=(0, -22),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=7,
                color=colors.AXIS_NOTE,
            )


def _count_axis(ax: Axes, top: float | None) -> None:
    values, texts = charts.count_ticks(top)
    ax.set_yticks(values, texts)
    ax.set_ylim(0, values[-1] if values else 1)


def _legend(ax: Axes, ncol: int) -> None:
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.01),
        ncol=ncol,
        frameon=False,
        fontsize=8,
        handlelength=1.2,
        columnspacing=1.2,
        borderaxespad=0,
    )


def received_bars(
    font: CjkFont,
    years: Sequence[int],
    values: Sequence[float | None],
    short: Iterable[int],
    coverage: Mapping[int, int] | None,
) -> bytes:
    """The overview's first chart: 本年新收申请 per year, a paler bar where organs that
    reported the year before are missing (``measures.material_gaps``)."""
    short = set(short)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        _frame(ax)
        ys = [v or 0 for v in values]
        bars = ax.bar(years, ys, width=0.6, color=colors.PRIMARY)
        for bar, y in zip(bars, years, strict=True):
            bar.set_alpha(0.45 if y in short else 1.0)
        for y, v in zip(years, values, strict=True):
            if v is not None:
                ax.annotate(
                    fmt.num(v),
                    (y, v),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=7.5,
                )
        _count_axis(ax, max(ys, default=0) * 1.12)
        _year_axis(ax, years, coverage)
        fig.tight_layout()

    return render(font, draw)


def rate_line(
    font: CjkFont,
    years: Sequence[int],
    values: Sequence[float | None],
    small: Sequence[bool],
) -> bytes:
    """公开率 per year, as ``charts.rate_line`` draws it: points on too few cases greyed."""

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        _frame(ax)
        color = colors.DISPOSITION["granted"]
        xs = [y for y, v in zip(years, values, strict=True) if v is not None]
        vs = [v for v in values if v is not None]
        ax.plot(xs, vs, color=color, marker="o", markersize=5, linewidth=1.8, label="公开率")
        flagged = [
            (y, v) for y, v, s in zip(years, values, small, strict=True) if s and v is not None
        ]
        if flagged:
            ax.scatter(
                [y for y, _ in flagged],
                [v for _, v in flagged],
                s=60,
                color=colors.MUTED,
                edgecolors=color,
                linewidths=1,
                zorder=3,
                label="样本少（仅供参考）",
            )
        for y, v in zip(xs, vs, strict=True):
            ax.annotate(
                fmt.pct(v),
                (y, v),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7.5,
            )
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f}%"))
        ax.set_ylim(0, min(1.0, max(vs, default=0) * 1.2) or 1.0)
        ax.set_xlim(min(years) - 0.5, max(years) + 0.5)
        _year_axis(ax, years, None)
        _legend(ax, 2)
        fig.tight_layout()

    return render(font, draw)


def disposition_mix(
    font: CjkFont, years: Sequence[int], rows: Sequence[Mapping[str, float | None]]
) -> bytes:
    """The 办理结果 page's 历年结构: 100% stacked columns of the six dispositions."""

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        _frame(ax)
        bottom = [0.0] * len(years)
        for g, label in labels.DISPOSITIONS.items():
            shares = [(r.get(g) or 0) / r["decided"] if r.get("decided") else 0.0 for r in rows]
            ax.bar(
                years, shares, width=0.6, bottom=bottom, color=colors.DISPOSITION[g], label=label
            )
            bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f}%"))
        ax.set_ylim(0, 1.001)
        _year_axis(ax, years, None)
        _legend(ax, 6)
        fig.tight_layout()

    return render(font, draw, height_in=2.9)


def review_bars(
    font: CjkFont,
    years: Sequence[int],
    review: Sequence[float | None],
    litigation: Sequence[float | None],
) -> bytes:
    """The overview's third chart: 行政复议 and 行政诉讼 cases per year, side by side."""

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        _frame(ax)
        width = 0.36
        pairs = (
            (measures.MEASURES["review_cases"].label, review, colors.REVIEW_GROUP["review"], -1),
            (
                measures.MEASURES["litigation_cases"].label,
                litigation,
                colors.REVIEW_GROUP["litigation.direct"],
                1,
            ),
        )
        top = 0.0
        for label, values, color, side in pairs:
            xs = [y + side * width / 2 for y in years]
            ys = [v or 0 for v in values]
            top = max(top, *ys, 0)
            ax.bar(xs, ys, width=width, color=color, label=label)
            for x, v in zip(xs, values, strict=True):
                if v is not None:
                    ax.annotate(
                        fmt.num(v),
                        (x, v),
                        xytext=(0, 2),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=7,
                    )
        _count_axis(ax, top * 1.15)
        _year_axis(ax, years, None)
        _legend(ax, 2)
        fig.tight_layout()

    return render(font, draw)
