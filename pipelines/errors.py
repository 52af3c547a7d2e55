"""The one error family the pipeline raises for bad input.

Anything a user can cause with a file (wrong format, broken bytes, not a report) ends as a
``ReportError`` whose message is one line, names the file and says why, in Chinese with an
English gloss, so the CLI can print it and exit without a traceback.
"""

from __future__ import annotations


class ReportError(Exception):
    """A file could not be read as an annual report."""

    kind = "unreadable"

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class UnsupportedFormat(ReportError):
    kind = "unsupported_format"


class UnreadableFile(ReportError):
    kind = "unreadable"


class NotAReport(ReportError):
    kind = "not_a_report"
