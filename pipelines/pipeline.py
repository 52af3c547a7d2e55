"""One file in, one audited report out: the read -> parse -> audit chain as a function."""

from __future__ import annotations

from pathlib import Path

from pipelines.audit import audit_report
from pipelines.parse import Overrides, parse_document
from pipelines.parse.model import Report
from pipelines.readers import read_bytes, read_document


def parse_file(path: str | Path, overrides: Overrides | None = None) -> Report:
    report = parse_document(read_document(path), overrides)
    report.findings = audit_report(report)
    return report


def parse_bytes(data: bytes, name: str, overrides: Overrides | None = None) -> Report:
    report = parse_document(read_bytes(data, name), overrides)
    report.findings = audit_report(report)
    return report
