"""Legacy Word formats (.doc, Kingsoft .wps, RTF), read by converting them to DOCX.

No permissively licensed Python library reads the binary Word format with its tables
(antiword and friends give text only), so LibreOffice converts the file headless and the
DOCX reader reads the result. LibreOffice is optional: without it these files are refused
with a message that says what to install. Each conversion gets its own throw-away
LibreOffice profile, so parallel runs do not fight over a lock, and runs in its own process
group, so a hung conversion is killed whole when the timeout expires.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from pipelines.document import Document
from pipelines.errors import UnreadableFile, UnsupportedFormat
from pipelines.readers.docx import read_docx

CONVERT_TIMEOUT = 120.0  # seconds; a normal report converts in 1–3 s
_INSTALL_HINT = (
    "读取 .doc/.wps/.rtf 文件需要安装 LibreOffice（apt-get install libreoffice-writer-nogui）"
    " / legacy Word format: install LibreOffice to read it"
)


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def check_ole(data: bytes, path: str) -> None:
    """Refuse OLE files that are not Word documents before starting LibreOffice.

    The stream names sit in the compound file's directory as UTF-16 strings.
    """
    if _utf16("EncryptedPackage") in data:
        raise UnreadableFile(path, "Word 文档已加密，需要密码 / password-protected document")
    if _utf16("WordDocument") in data:
        return
    if _utf16("Workbook") in data or _utf16("Book") in data:
        raise UnsupportedFormat(path, "这是 Excel 表格，不是 Word 文档 / an Excel file")
    if _utf16("PowerPoint Document") in data:
        raise UnsupportedFormat(path, "这是 PowerPoint 文件，不是 Word 文档 / a PowerPoint file")


class LibreOfficeFailed(UnreadableFile):
    """LibreOffice itself could not run: the same for every file, until the machine is fixed."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(data: bytes, path: str, suffix: str) -> bytes:
    """The DOCX LibreOffice makes of ``data``; ``suffix`` (``.doc``) helps its detection."""
    exe = soffice()
    if exe is None:
        raise UnsupportedFormat(path, _INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="xxgk-soffice-") as tmp:
        work = Path(tmp)
        source = work / f"report{suffix}"
        source.write_bytes(data)
        outdir = work / "out"
        command = [
            exe,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(outdir),
            str(source),
        ]
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise UnsupportedFormat(path, f"{_INSTALL_HINT} ({exc.strerror})") from exc
        try:
            proc.communicate(timeout=CONVERT_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise UnreadableFile(
                path, f"LibreOffice 转换超时（{CONVERT_TIMEOUT:.0f} 秒）/ conversion timed out"
            ) from exc
        result = outdir / "report.docx"
        if not result.is_file() and (proc.returncode < 0 or proc.returncode >= 128):
            # killed by a signal (SIGABRT: it aborts on a machine with no font at all): the
            # file is not to blame, and the message must not say it is
            raise LibreOfficeFailed(
                path,
                f"本机的 LibreOffice 无法运行（异常退出，代码 {proc.returncode}；"
                "例如系统中没有任何字体）/ LibreOffice crashed",
            )
        if not result.is_file():
            raise UnreadableFile(
                path, "LibreOffice 无法转换此文件（可能已损坏或加密）/ conversion failed"
            )
        return result.read_bytes()


def read_legacy(data: bytes, path: str, suffix: str = ".doc") -> Document:
    if suffix in (".doc", ".wps", ".dot"):
        check_ole(data, path)
    return read_docx(convert_to_docx(data, path, suffix), path, fmt=suffix.lstrip("."))
