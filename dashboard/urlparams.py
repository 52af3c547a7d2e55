"""Page widgets whose URL value is a short code while the widget shows a Chinese label.

``bind="query-params"`` writes a widget's *label* into the URL: the download form's
"长表：每个单元格一行" or "收到和处理政府信息公开申请情况" would be the link's values, and a
label reworded tomorrow breaks every link sent today. These widgets carry a stable code
instead (``?d_form=wide&d_format=csv&d_tables=requests``): the value is read from the URL
the first time the widget is drawn, and written back (left out when it is the default)
after every run. A link that still carries a label is understood and rewritten as the code.

Unbound parameters are not cleared by Streamlit when the reader moves to another page, so
``keep_only`` drops those of the page the reader has just left (``PAGE_PARAMS``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

# Parameters that belong to one page (its url_path), dropped when the reader leaves it.
PAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "download": ("d_form", "d_format", "d_tables"),
    "report": ("report",),
}
_PAGE = "_xxgk_page"


def keep_only(url_path: str) -> None:
    """Drops the parameters of the page the reader has just left."""
    last = st.session_state.get(_PAGE)
    if last is not None and last != url_path:
        for key in PAGE_PARAMS.get(last, ()):
            if key in st.query_params:
                del st.query_params[key]
    st.session_state[_PAGE] = url_path


def _code(value: str, options: Mapping[str, str]) -> str | None:
    """A code from the URL: the code itself, or (an older link) the option's label."""
    if value in options:
        return value
    return next((code for code, label in options.items() if label == value), None)


def _seed(key: str, options: Mapping[str, str], default: object, multi: bool) -> None:
    if key in st.session_state:
        return
    given = [c for v in st.query_params.get_all(key) if (c := _code(v, options)) is not None]
    if multi:
        st.session_state[key] = list(dict.fromkeys(given)) if given else list(default)  # type: ignore[call-overload]
    else:
        st.session_state[key] = given[0] if given else default


def _write(key: str, value: str | list[str], default: str | list[str]) -> None:
    if value == default:
        if key in st.query_params:
            del st.query_params[key]
        return
    current = st.query_params.get_all(key)
    wanted = list(value) if isinstance(value, list) else [value]
    if current != wanted:
        st.query_params[key] = wanted if isinstance(value, list) else value


def radio(
    label: str, options: Mapping[str, str], key: str, *, default: str | None = None, **kw: object
) -> str:
    """``st.radio`` over ``options`` (code → label): shows the labels, keeps the code in
    the URL; returns the code."""
    default = default if default is not None else next(iter(options))
    _seed(key, options, default, multi=False)
    value = st.radio(label, list(options), format_func=options.__getitem__, key=key, **kw)  # type: ignore[arg-type]
    _write(key, value, default)
    return value


def multiselect(
    label: str, options: Mapping[str, str], key: str, *, default: Sequence[str], **kw: object
) -> list[str]:
    """``st.multiselect`` over ``options`` (code → label), codes in the URL."""
    _seed(key, options, list(default), multi=True)
    value = st.multiselect(label, list(options), format_func=options.__getitem__, key=key, **kw)  # type: ignore[arg-type]
    _write(key, list(value), list(default))
    return list(value)
