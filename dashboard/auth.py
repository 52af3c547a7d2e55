"""Who is signed in to edit: the one place the dashboard asks.

Reading stays open to whoever reaches the dashboard; a page that changes anything (importing
reports, corrections, review) calls ``require_editor()`` before it draws a single control,
and gets the editor's name or a sign-in form and ``st.stop()``.

Two ways in:

- **An identity provider** (OIDC), when ``.streamlit/secrets.toml`` has an ``[auth]``
  section with ``redirect_uri``, ``cookie_secret`` and a client (in ``[auth]`` itself or in
  ``[auth.NAME]``) and Authlib is installed: Streamlit's ``st.login`` signs people in and
  keeps the identity in its own signed cookie. An identity is an editor only when
  ``[xxgk] editors`` lists its verified e-mail address, its domain (``"@example.gov.cn"``)
  or ``"*"``: a provider that signs in anyone with an account (a public one) must not make
  everyone an editor, so the list is empty until someone writes it.
- **Local accounts** otherwise (``pipelines.accounts``: salted scrypt hashes in
  ``data/users.json`` or ``XXGK_USERS``, kept by ``xxgk user add/remove/list``).

A local sign-in lives in Streamlit's session state: on the server, for one browser tab's
connection. Nothing the browser sends can set it (no query parameter, no cookie, no widget
but the password form), so there is no token to steal or forge; the price is that a reload
or a new tab asks again. A session ends on 退出, after ``XXGK_IDLE_MINUTES`` (default 30)
without any interaction, and at the next interaction after its account was removed or given
a new password.

Failed attempts are limited twice: per session (5 within 15 minutes lock its form for the
rest of that window) and per account name across every session of the server (20 within 15
minutes lock the name, so a script that opens new sessions gets no more guesses). Sign-ins,
sign-outs, ended sessions and refused attempts go to the audit log's journal
(``pipelines.audit_log``: the dashboard never writes the warehouse); a sign-in that cannot be
recorded does not happen.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import secrets
import threading
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from dashboard import db, safe
from pipelines import accounts, audit_log

_LOG = logging.getLogger(__name__)

IDLE_ENV = "XXGK_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 30.0
MAX_FAILURES = 5  # per session, within WINDOW
MAX_NAME_FAILURES = 20  # per account name, every session of this process, within WINDOW
WINDOW = 15 * 60.0

# Session-state keys; no widget has them, so only this module sets them.
_SIGNED = "_xxgk_auth"
_SEEN = "_xxgk_auth_seen"
_FAILS = "_xxgk_auth_fails"
_TAG = "_xxgk_auth_tag"

_now = time.time  # the clock, replaced by tests


@dataclass(frozen=True, slots=True)
class _Signed:
    name: str
    via: str  # local | oidc
    stamp: str  # local: the account's salt at sign-in (a new password ends the session)
    since: float


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------


def idle_seconds() -> float:
    """``XXGK_IDLE_MINUTES`` (a positive number) in seconds, else 30 minutes."""
    try:
        minutes = float(os.environ.get(IDLE_ENV) or DEFAULT_IDLE_MINUTES)
    except ValueError:
        minutes = DEFAULT_IDLE_MINUTES
    return (minutes if minutes > 0 else DEFAULT_IDLE_MINUTES) * 60.0


def users_path() -> Path:
    return accounts.default_path(db.warehouse_path())


def journal_path() -> Path:
    return audit_log.journal_path(db.warehouse_path())


def _secret(name: str) -> Any:
    """A top-level secrets entry; None without a secrets file or when it cannot be read."""
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        return st.secrets.get(name)
    except Exception:  # a malformed secrets.toml must not take the dashboard down
        return None


def providers() -> list[str | None]:
    """The identity providers ``secrets.toml`` configures: None for the one written into
    ``[auth]`` itself, a name for each ``[auth.NAME]``; empty when there is none."""
    section = _secret("auth")
    if not isinstance(section, Mapping) or not {"redirect_uri", "cookie_secret"} <= set(section):
        return []
    found: list[str | None] = [None] if "client_id" in section else []
    found += [
        str(k)
        for k, v in section.items()
        if isinstance(v, Mapping) and "client_id" in v and "_" not in str(k)
    ]
    return found


@functools.cache
def _authlib() -> bool:
    return importlib.util.find_spec("authlib") is not None


def uses_provider() -> bool:
    """Whether sign-in goes through the identity provider (else: local accounts)."""
    return bool(providers()) and _authlib()


def is_listed_editor(identity: str) -> bool:
    """Whether ``[xxgk] editors`` admits this e-mail address."""
    section = _secret("xxgk")
    listed = section.get("editors", []) if isinstance(section, Mapping) else []
    if isinstance(listed, str):
        listed = [listed]
    who = identity.strip().casefold()
    if not who:
        return False
    for entry in listed:
        e = str(entry).strip().casefold()
        if e == "*" or e == who or (e.startswith("@") and len(e) > 1 and who.endswith(e)):
            return True
    return False


def _provider_identity() -> str | None:
    """The signed-in identity's verified e-mail address, if the provider gave one."""
    user = st.user
    if not user.get("is_logged_in"):
        return None
    email = user.get("email")
    if not isinstance(email, str) or not email.strip() or user.get("email_verified") is False:
        return None
    return email.strip()


# ---------------------------------------------------------------------------------------------
# The audit log
# ---------------------------------------------------------------------------------------------


def _tag() -> str:
    """A random tag of this session, tying its lines in the log together."""
    if _TAG not in st.session_state:
        st.session_state[_TAG] = secrets.token_hex(4)
    return st.session_state[_TAG]


def _client() -> dict[str, Any]:
    out: dict[str, Any] = {"session": _tag()}
    try:
        ip = st.context.ip_address
    except Exception:  # no browser behind this run (a test, a script)
        ip = None
    if ip:
        out["ip"] = ip
    return out


def _log(who: str, action: str, target: str, **detail: Any) -> bool:
    try:
        audit_log.append(journal_path(), who, action, target, {**_client(), **detail})
    except OSError:
        _LOG.exception("cannot write the audit log %s", journal_path())
        return False
    return True


def record(action: str, target: str = "", detail: Mapping[str, Any] | None = None) -> None:
    """For an editing page: put what the signed-in editor did in the audit log. Raises
    ``PermissionError`` without an editor, ``OSError`` if the log cannot be written (then
    the change should not be made either)."""
    name = current_editor()
    if name is None:
        raise PermissionError("no editor is signed in")
    audit_log.append(journal_path(), name, action, target, {**_client(), **(detail or {})})


# ---------------------------------------------------------------------------------------------
# The session
# ---------------------------------------------------------------------------------------------


def _signed() -> _Signed | None:
    value = st.session_state.get(_SIGNED)
    return value if isinstance(value, _Signed) else None


def _clear() -> None:
    for key in (_SIGNED, _SEEN):
        st.session_state.pop(key, None)


def _end(signed: _Signed, reason: str) -> None:
    _log(signed.name, "session_ended", signed.name, via=signed.via, reason=reason)
    _clear()


def _idle(signed: _Signed) -> bool:
    return _now() - float(st.session_state.get(_SEEN, signed.since)) > idle_seconds()


def current_editor() -> str | None:
    """The signed-in editor's name (an e-mail address with a provider), or None."""
    signed = _signed()
    if uses_provider():
        identity = _provider_identity()
        if identity is None or not is_listed_editor(identity):
            if signed is not None:
                _end(signed, "provider_signed_out" if identity is None else "not_an_editor")
            return None
        if signed is None or signed.via != "oidc" or signed.name != identity:
            if not _log(identity, "sign_in", identity, via="oidc"):
                return None  # a sign-in that cannot be recorded does not happen
            signed = _Signed(identity, "oidc", "", _now())
            st.session_state[_SIGNED] = signed
        elif _idle(signed):
            _end(signed, "idle")
            st.logout()
            return None
    else:
        if signed is None:
            return None
        if signed.via != "local":
            _end(signed, "mode_changed")
            return None
        if _idle(signed):
            _end(signed, "idle")
            return None
        if accounts.stamp(users_path(), signed.name) != signed.stamp:
            _end(signed, "account_changed")
            return None
    st.session_state[_SEEN] = _now()
    return signed.name


def sign_out() -> None:
    """End this session's sign-in (with a provider, also its cookie: ``st.logout``)."""
    signed = _signed()
    if signed is not None:
        _log(signed.name, "sign_out", signed.name, via=signed.via)
    _clear()
    if uses_provider() and st.user.get("is_logged_in"):
        st.logout()


# Failed attempts per account name, across sessions (the per-session ones are in the state).
_name_failures: dict[str, list[float]] = {}
_name_lock = threading.Lock()


def _name_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()[: accounts.MAX_NAME]


def _locked_for(name: str, now: float) -> float:
    """Seconds until this session may try again (0: now)."""
    mine = [t for t in st.session_state.get(_FAILS, []) if now - t < WINDOW]
    st.session_state[_FAILS] = mine
    wait = mine[-MAX_FAILURES] + WINDOW - now if len(mine) >= MAX_FAILURES else 0.0
    with _name_lock:
        theirs = [t for t in _name_failures.get(_name_key(name), []) if now - t < WINDOW]
        if len(theirs) >= MAX_NAME_FAILURES:
            wait = max(wait, theirs[-MAX_NAME_FAILURES] + WINDOW - now)
    return max(wait, 0.0)


def _failed(name: str, now: float) -> None:
    st.session_state[_FAILS] = [*st.session_state.get(_FAILS, []), now]
    with _name_lock:
        if len(_name_failures) > 10_000:  # names typed at random must not grow this forever
            for key in [k for k, v in _name_failures.items() if now - v[-1] >= WINDOW]:
                del _name_failures[key]
        key = _name_key(name)
        _name_failures[key] = [
            *(t for t in _name_failures.get(key, []) if now - t < WINDOW),
            now,
        ][-MAX_NAME_FAILURES:]


def sign_in(name: str, password: str) -> str | None:
    """Check a local account's password and sign this session in; returns what to tell the
    person when it did not work (None: signed in)."""
    now = _now()
    typed = name.strip()[: accounts.MAX_NAME]
    if not typed or not password:
        return "请输入账号和密码。"  # a slip, not a guess: neither counted nor logged
    wait = _locked_for(typed, now)
    if wait > 0:
        _log(typed, "sign_in_failed", typed, reason="locked")
        return f"登录失败次数过多，请 {max(1, round(wait / 60))} 分钟后再试。"
    path = users_path()
    try:
        who = accounts.verify(path, typed, password)
    except accounts.AccountError as exc:
        _log(typed, "sign_in_failed", typed, reason="accounts_file", error=str(exc))
        return "账号文件无法读取，请联系管理员。"
    if who is None:
        _failed(typed, now)
        known = accounts.stamp(path, typed) is not None
        _log(typed, "sign_in_failed", typed, reason="wrong_password" if known else "no_account")
        return "账号或密码不正确。"
    if not _log(who, "sign_in", who, via="local"):
        return "无法写入操作记录，登录未完成。请联系管理员。"
    st.session_state[_SIGNED] = _Signed(who, "local", accounts.stamp(path, who) or "", now)
    st.session_state[_SEEN] = now
    st.session_state[_FAILS] = []
    return None


# ---------------------------------------------------------------------------------------------
# What people see
# ---------------------------------------------------------------------------------------------


def _form(where: str) -> None:
    """The local sign-in form; ``where`` keeps the sidebar's and the page's apart."""
    key = f"_xxgk_signin_{where}"
    with st.form(key, clear_on_submit=True, border=where == "main"):
        name = st.text_input("账号", key=f"{key}_name", max_chars=accounts.MAX_NAME)
        password = st.text_input(
            "密码", type="password", key=f"{key}_password", max_chars=accounts.MAX_PASSWORD
        )
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        problem = sign_in(name or "", password or "")
        if problem is None:
            st.rerun()
        st.error(problem, icon=":material/lock:")


def _no_accounts() -> bool:
    try:
        return not accounts.load(users_path())
    except accounts.AccountError:
        return False  # there is a file; sign_in says it cannot be read


def _provider_buttons(where: str) -> None:
    for provider in providers():
        label = "通过统一身份认证登录" if provider is None else f"通过 {provider} 登录"
        if st.button(safe.md(label), key=f"_xxgk_login_{where}_{provider or ''}"):
            st.login(provider)


def require_editor() -> str:
    """The signed-in editor's name; otherwise a sign-in prompt, and the page stops here."""
    name = current_editor()
    if name is not None:
        return name
    st.info(
        "此页面用于修改数据，需要编辑人员登录。其他页面无需登录即可查看。", icon=":material/lock:"
    )
    if uses_provider():
        identity = _provider_identity()
        if identity is not None:  # signed in with the provider, but not an editor
            st.warning(
                f"账号 {safe.md(identity)} 不在编辑人员名单中（secrets.toml 的 [xxgk] editors）。",
                icon=":material/person_off:",
            )
            if st.button("退出", key="_xxgk_provider_signout"):
                st.logout()
        else:
            _provider_buttons("main")
    else:
        if providers():
            st.caption("已配置统一身份认证，但未安装 Authlib，暂用本地账号登录。")
        _form("main")
        if _no_accounts():
            st.caption("还没有编辑账号：管理员可在服务器上运行 `xxgk user add 姓名` 添加。")
    st.stop()
    raise AssertionError("unreachable")  # pragma: no cover - st.stop raises


def sidebar() -> None:
    """The sidebar's sign-in line: "登录", or "已登录：NAME" with 退出."""
    with st.sidebar:
        st.divider()
        name = current_editor()
        if name is not None:
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.markdown(f"已登录：{safe.md(name)}")
            if right.button("退出", key="_xxgk_signout", type="tertiary"):
                sign_out()
                st.rerun()
        elif uses_provider():
            with st.expander("登录"):
                _provider_buttons("sidebar")
        else:
            with st.expander("登录"):
                _form("sidebar")
