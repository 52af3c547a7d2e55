"""``xxgk serve``: reading the dashboard needs no sign-in, so it listens on this machine only
unless told otherwise, and says out loud when it is told otherwise.

The servers here are started as users start them, through the ``xxgk`` command, and looked
at from outside: the line it prints, the socket the kernel lists, a connection attempt.
"""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard import serve
from pipelines.cli import build_parser, cmd_demo, cmd_serve
from tests.helpers import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
_SCRIPT = Path(sys.executable).with_name("xxgk")
XXGK = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "pipelines.cli"]
WARNING = "查看数据无需登录"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen) -> tuple[str, str]:
    """Stops a server started here; returns what it printed on stdout and stderr."""
    proc.terminate()
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return (out or b"").decode(errors="replace"), (err or b"").decode(errors="replace")


def _listening(port: int) -> set[str]:
    """The local addresses of the sockets listening on ``port``, as the kernel lists them."""
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if int(hex_port, 16) != port or fields[3] != "0A":  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # the kernel prints each 32-bit word of the address in host (little-endian) order
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, raw))
    return found


def _other_address() -> str | None:
    """One of this machine's addresses that is not loopback, if it has one."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for word in out.split():
        try:
            address = ipaddress.ip_address(word)
        except ValueError:
            continue
        if address.version == 4 and not address.is_loopback:
            return word
    return None


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


def test_serve_subcommand_runs_streamlit_headless_on_the_warehouse(tmp_path: Path) -> None:
    args = build_parser().parse_args(["serve", "--port", "8765", "--db", str(tmp_path / "w")])
    assert (args.func, args.port) == (cmd_serve, 8765)
    cmd = serve.command(8765)
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith("dashboard/server.py")
    assert "--server.headless=true" in cmd and "--server.port=8765" in cmd
    assert serve.environment(tmp_path / "w")["XXGK_DB"] == str((tmp_path / "w").resolve())


def test_serve_and_demo_listen_on_loopback_unless_told() -> None:
    assert "--server.address=127.0.0.1" in serve.command(8765)
    assert "--server.address=0.0.0.0" in serve.command(8765, "0.0.0.0")
    parser = build_parser()
    for argv, func in ((["serve"], cmd_serve), (["demo"], cmd_demo)):
        args = parser.parse_args(argv)
        assert (args.func, args.host) == (func, "127.0.0.1")
        assert parser.parse_args([*argv, "--host", "0.0.0.0"]).host == "0.0.0.0"
        # the option's earlier name still works (not shown in --help)
        assert parser.parse_args([*argv, "--address", "10.1.2.3"]).host == "10.1.2.3"


def test_the_printed_address_is_one_a_browser_can_open() -> None:
    assert serve.url("127.0.0.1", 8501) == "http://127.0.0.1:8501"
    assert serve.url("localhost", 8501) == "http://localhost:8501"
    assert serve.url("10.1.2.3", 8502) == "http://10.1.2.3:8502"
    assert serve.url("::1", 8501) == "http://[::1]:8501"
    # listening on every address: open it on this machine
    assert serve.url("0.0.0.0", 8501) == "http://127.0.0.1:8501"


def test_only_an_address_beyond_this_machine_is_warned_about() -> None:
    for host in ("127.0.0.1", "localhost", "::1"):
        assert serve.exposure_warning(host, 8501) is None, host
    for host in ("0.0.0.0", "::", "10.1.2.3"):
        assert WARNING in (serve.exposure_warning(host, 8501) or ""), host


def test_serve_on_every_address_warns_on_stderr(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [*XXGK, "serve", "--host", "0.0.0.0", "--port", str(port), "--db", str(tmp_path / "w")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # printed after the warning, just before the command becomes the server
        first = proc.stdout.readline().decode() if proc.stdout else ""
    finally:
        out, err = _stop(proc)
    assert first.startswith(f"看板：http://127.0.0.1:{port}（"), first + out + err
    assert f"xxgk: 警告：{WARNING}，监听 0.0.0.0 后，任何能连到本机 {port} 端口的人" in err
    assert f"anyone who can reach port {port} can see everything" in err


# ---------------------------------------------------------------------------------------------
# A real server
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """``xxgk serve --port P`` on a warehouse holding the seed report; yields P and the first
    line the command printed, on stdout or stderr."""
    from pipelines.ingest import ingest

    db = tmp_path_factory.mktemp("serve") / "w.duckdb"
    ingest([SAMPLES / "000_seed.txt"], db, progress=False)
    port = _free_port()
    proc = subprocess.Popen(
        [*XXGK, "serve", "--port", str(port), "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        first = proc.stdout.readline().decode() if proc.stdout else ""
        deadline = time.monotonic() + 60
        while True:
            try:
                url = f"http://127.0.0.1:{port}/_stcore/health"
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out, err = _stop(proc)
                pytest.fail(f"xxgk serve did not start:\n{first}{out}\n{err}")
            time.sleep(0.3)
        yield port, first
    finally:
        _stop(proc)


def test_serve_prints_the_loopback_address_and_no_warning(server: tuple[int, str]) -> None:
    port, first = server
    # the first line of all it printed: no warning came before it
    assert first.startswith(f"看板：http://127.0.0.1:{port}（仓库 ")


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_serve_listens_on_loopback_only(server: tuple[int, str]) -> None:
    port, _ = server
    assert _listening(port) == {"127.0.0.1"}


def test_serve_cannot_be_reached_from_another_address(server: tuple[int, str]) -> None:
    port, _ = server
    other = _other_address()
    if other is None:
        pytest.skip("this machine has no address but loopback (hostname -I): nothing to try")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((other, port), timeout=5).close()
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
