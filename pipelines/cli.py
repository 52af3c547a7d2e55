"""The ``xxgk`` command line. Messages to people are in Chinese with an English gloss."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pipelines import catalog
from pipelines.errors import ReportError
from pipelines.parse import Overrides
from pipelines.parse.model import Region, Report
from pipelines.pipeline import parse_file


def _overrides(args: argparse.Namespace) -> Overrides:
    region = None
    if args.province or args.city or args.county or args.region_code:
        region = Region(args.province, args.city, args.county, args.region_code)
    return Overrides(organ=args.organ, year=args.year, region=region)


def _fmt(v: object) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def render_text(report: Report) -> str:
    """The report's tables laid out as the template lays them out, for a terminal."""
    facts = report.fact_map()
    lines = [
        f"{report.organ or '（机关不详）'} · {report.year or '（年度不详）'}年 · "
        f"{report.edition}版模板 · {report.source}"
    ]
    lines.append("\n二、主动公开政府信息情况")
    for f in report.facts:
        if f.table == "active":
            lines.append(f"  {catalog.METRICS_BY_KEY[f.metric].label:<28}{_fmt(f.value):>10}")
    lines.append("\n三、收到和处理政府信息公开申请情况")
    header = "".join(f"{catalog.APPLICANT_LABELS[a]:>8}" for a in catalog.APPLICANT_KEYS)
    lines.append(f"  {'':<24}{header}")
    for metric in dict.fromkeys(f.metric for f in report.facts if f.table == "requests"):
        row = "".join(
            f"{_fmt(facts[f'{metric}@{a}'].value if f'{metric}@{a}' in facts else None):>10}"
            for a in catalog.APPLICANT_KEYS
        )
        lines.append(f"  {catalog.METRICS_BY_KEY[metric].label[:12]:<24}{row}")
    lines.append("\n四、政府信息公开行政复议、行政诉讼情况")
    for f in report.facts:
        if f.table == "review":
            lines.append(f"  {catalog.METRICS_BY_KEY[f.metric].label:<28}{_fmt(f.value):>10}")
    if report.prose_counts:
        lines.append("\n正文中的数字")
        for p in report.prose_counts:
            lines.append(f"  {p.label}: {p.value}")
    if report.findings:
        lines.append("\n审核发现")
        for fd in report.findings:
            lines.append(f"  [{fd.rule} {fd.severity}] {fd.message}")
    if report.warnings:
        lines.append("\n提示")
        lines.extend(f"  {w}" for w in report.warnings)
    return "\n".join(lines)


def cmd_parse(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        try:
            report = parse_file(path, _overrides(args))
        except ReportError as exc:
            print(f"xxgk: {exc}", file=sys.stderr)
            status = 2
            continue
        if args.json:
            print(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
        else:
            print(render_text(report))
            print()
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xxgk", description="政府信息公开工作年度报告：解析、审核、入库与看板"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="解析一份或多份年度报告 / parse report files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（契约格式）")
    p.add_argument("--organ", help="发布机关名称（覆盖自动识别）")
    p.add_argument("--year", type=int, help="报告年度（覆盖自动识别）")
    p.add_argument("--province")
    p.add_argument("--city")
    p.add_argument("--county")
    p.add_argument("--region-code", help="行政区划代码")
    p.set_defaults(func=cmd_parse)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("xxgk: 已中断 / interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
