"""Local editor accounts: a JSON file of salted password hashes, kept by ``xxgk user``.

Used when no identity provider is configured for the dashboard (``dashboard.auth``). The
file holds no password: each account has its own random salt and the scrypt parameters it
was hashed with, so the parameters can be raised later without invalidating older accounts,
and two people with the same password get different hashes. scrypt is in the standard
library and memory-hard, so a stolen file is slow to attack on a GPU.

The file defaults to ``users.json`` beside the warehouse (``data/users.json``), or wherever
``XXGK_USERS`` names. It is replaced whole (a temporary file renamed over it, mode 0600), under
an exclusive lock so that two ``xxgk user add`` at once do not lose one of the accounts, and
the dashboard never sees half a file. The dashboard reads it at every sign-in, so ``xxgk
user remove`` takes effect at once, also for sessions already signed in (``stamp``).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import hashlib
import hmac
import json
import os
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.paths import default_db

USERS_ENV = "XXGK_USERS"
FORMAT = "xxgk-users/1"
# 32 MiB and about 0.1 s a hash on the development machine: slow for an attacker, cheap for
# a sign-in. Stored with each account, so raising them later leaves old accounts valid.
SCRYPT_N, SCRYPT_R, SCRYPT_P, DKLEN = 2**15, 8, 1, 32
# What a file may ask for: a tampered or mistyped file must not make a sign-in eat the server.
_MAX_N, _MAX_R, _MAX_P = 2**20, 32, 16
_MAXMEM = 1024 * 1024 * 1024
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_NAME = 64


class AccountError(Exception):
    """A message for people (Chinese, with an English gloss), never a traceback."""


def default_path(db: Path | None = None) -> Path:
    """``XXGK_USERS``, else ``users.json`` in the warehouse's folder."""
    named = os.environ.get(USERS_ENV)
    if named:
        return Path(named)
    return (db if db is not None else default_db()).parent / "users.json"


def check_name(name: str) -> str:
    """The account name as stored: NFC, trimmed; refused if it could mislead a reader of the
    log (control or invisible characters, a line break) or is empty or too long."""
    name = unicodedata.normalize("NFC", str(name)).strip()
    if not name:
        raise AccountError("账号名不能为空 / the name is empty")
    if len(name) > MAX_NAME:
        raise AccountError(f"账号名最多 {MAX_NAME} 个字符 / the name is too long")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise AccountError("账号名不能含控制字符或换行 / the name holds control characters")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            f"密码至少 {MIN_PASSWORD} 个字符 / the password needs {MIN_PASSWORD} characters"
        )
    if len(password) > MAX_PASSWORD:
        raise AccountError("密码过长 / the password is too long")
    return password


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=_MAXMEM
    )


def hash_password(password: str) -> dict[str, Any]:
    """A new record for ``password``: fresh salt, current parameters."""
    salt = os.urandom(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, DKLEN)
    return {
        "scheme": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": _b64(salt),
        "hash": _b64(digest),
    }


def _params(record: dict[str, Any]) -> tuple[bytes, bytes, int, int, int]:
    """The record's salt, hash and parameters; AccountError if they are not sane."""
    try:
        salt = base64.b64decode(record["salt"], validate=True)
        digest = base64.b64decode(record["hash"], validate=True)
        n, r, p = int(record["n"]), int(record["r"]), int(record["p"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AccountError(f"账号文件中的记录无法读取 / unreadable account record: {exc}") from None
    if (
        record.get("scheme") != "scrypt"
        or not (2 <= n <= _MAX_N and n & (n - 1) == 0)
        or not (1 <= r <= _MAX_R and 1 <= p <= _MAX_P)
        or len(salt) < 8
        or not 16 <= len(digest) <= 64
    ):
        raise AccountError("账号文件中的记录参数无效 / account record with invalid parameters")
    return salt, digest, n, r, p


def matches(record: dict[str, Any], password: str) -> bool:
    """Whether ``password`` is the one ``record`` was made from (constant-time compare)."""
    salt, digest, n, r, p = _params(record)
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(digest)), digest)


@functools.cache
def _dummy() -> dict[str, Any]:
    """Hashed against when the name is unknown, so a wrong name takes as long as a wrong
    password and the time of an answer does not tell which names exist."""
    return hash_password(_b64(os.urandom(12)))


# ---------------------------------------------------------------------------------------------
# The file
# ---------------------------------------------------------------------------------------------


def load(path: Path) -> dict[str, dict[str, Any]]:
    """name -> record; no file is no accounts. AccountError for a file that is not ours."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise AccountError(f"{path}: 无法读取账号文件 / cannot read: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise AccountError(f"{path}: 账号文件不是有效的 JSON / not JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AccountError(f"{path}: 不是 xxgk 的账号文件 / not an xxgk accounts file")
    users = data.get("users")
    if not isinstance(users, dict) or not all(isinstance(v, dict) for v in users.values()):
        raise AccountError(f"{path}: 账号文件结构无效 / malformed accounts file")
    return users


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _save(path: Path, users: dict[str, dict[str, Any]]) -> None:
    text = json.dumps({"format": FORMAT, "users": users}, ensure_ascii=False, indent=1)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add(path: Path, name: str, password: str, replace: bool = False) -> str:
    """Create the account (or give it a new password, with ``replace``); returns the name as
    stored."""
    name = check_name(name)
    record = hash_password(check_password(password))
    with _locked(path):
        users = load(path)
        if name in users and not replace:
            raise AccountError(
                f"账号“{name}”已存在；重设密码请加 --replace / the account exists, "
                "use --replace to set a new password"
            )
        record["created"] = users.get(name, {}).get("created") or _utc_now()
        if name in users:
            record["changed"] = _utc_now()
        users[name] = record
        _save(path, users)
    return name


def remove(path: Path, name: str) -> bool:
    """False when there was no such account."""
    name = unicodedata.normalize("NFC", str(name)).strip()
    with _locked(path):
        users = load(path)
        if name not in users:
            return False
        del users[name]
        _save(path, users)
    return True


def listing(path: Path) -> list[tuple[str, str]]:
    """(name, created) of every account, by name."""
    return sorted((n, str(r.get("created", ""))) for n, r in load(path).items())


def verify(path: Path, name: str, password: str) -> str | None:
    """The account's name when ``password`` is its password; None otherwise (an unknown name,
    a wrong password, a password or name that could never be valid). Takes as long for an
    unknown name as for a known one. AccountError only for an unreadable file."""
    try:
        name = check_name(name)
    except AccountError:
        name = ""
    users = load(path)
    record = users.get(name)
    if record is None or not (0 < len(password) <= MAX_PASSWORD):
        matches(_dummy(), password[:MAX_PASSWORD] or "-")
        return None
    return name if matches(record, password) else None


_stamps: dict[Path, tuple[tuple[int, int, int], dict[str, str]]] = {}
_stamps_lock = threading.Lock()


def stamp(path: Path, name: str) -> str | None:
    """What identifies the account's current password (its salt); None when the account is
    gone. A session keeps the stamp it signed in with, so removing the account or setting a
    new password ends it at the next page it opens. Cached per file version: called on every
    rerun of every signed-in session."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    key = (st.st_ino, st.st_size, st.st_mtime_ns)
    with _stamps_lock:
        cached = _stamps.get(path)
    if cached is None or cached[0] != key:
        try:
            salts = {n: str(r.get("salt", "")) for n, r in load(path).items()}
        except AccountError:
            salts = {}  # an unreadable file signs everyone out rather than no one
        cached = (key, salts)
        with _stamps_lock:
            _stamps[path] = cached
    return cached[1].get(name)


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
