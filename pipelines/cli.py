"""The ``xxgk`` command line. Messages to people are in Chinese with an English gloss."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pipelines import catalog
from pipelines import template_layout as layout
from pipelines.errors import ReportError
from pipelines.parse import Overrides
from pipelines.parse.model import Region, Report
from pipelines.pipeline import parse_file

if TYPE_CHECKING:
    from pipelines.filters import Place

T = TypeVar("T")


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


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: two for a CJK character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(width - _width(text), 0)
    return fill + text if right else text + fill


def render_text(report: Report) -> str:
    """The report's tables in the template's rows and labels, for a terminal."""
    facts = report.fact_map()

    def value(address: str) -> str:
        return _fmt(facts[address].value) if address in facts else "—"

    lines = [
        f"{report.organ or '（机关不详）'} · {report.year or '（年度不详）'}年 · "
        f"{report.edition}版模板 · {report.source}"
    ]
    lines.append("\n" + layout.PART_HEADINGS[2])
    for f in report.facts:
        if f.table == "active":
            label = catalog.METRICS_BY_KEY[f.metric].label
            lines.append(f"  {_pad(label, 40)}{_pad(_fmt(f.value), 10, right=True)}")
    lines.append("\n" + layout.PART_HEADINGS[3])
    labels = [catalog.APPLICANT_LABELS[a] for a in catalog.APPLICANT_KEYS]
    lines.append(" " * 48 + "".join(_pad(t, 13, right=True) for t in labels))
    subrows = any(k.startswith("outcome.other.") and k[14:19] != "total" for k in facts)
    edition = report.table_editions.get("requests", report.edition)
    for row in layout.requests_body(edition, subrows):
        heads = [c for c in row if isinstance(c, layout.Head)]
        numbers = "".join(
            _pad(value(c.address), 13, right=True) for c in row if isinstance(c, layout.Slot)
        )
        # the labels spanning several rows (三、本年度办理结果, a group) are printed once, above
        # their rows, each level indented under the one before
        for head in heads[:-1]:
            lines.append(("  " if head.text == layout.results_label() else "    ") + head.text)
        indent = {3: "  ", 2: "    "}.get(heads[-1].colspan, "      ")
        lines.append(f"{indent}{_pad(heads[-1].text, 48 - len(indent))}{numbers}")
    lines.append("\n" + layout.PART_HEADINGS[4])
    outcomes = [label for _, label in catalog.REVIEW_OUTCOMES]
    lines.append("  " + _pad("", 30) + "".join(_pad(o, 10, right=True) for o in outcomes))
    for group, label in catalog.REVIEW_GROUPS:
        numbers = "".join(
            _pad(value(f"{group}.{key}"), 10, right=True) for key, _ in catalog.REVIEW_OUTCOMES
        )
        lines.append(f"  {_pad(label, 30)}{numbers}")
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
        if args.json and len(args.files) > 1:
            # Several files: JSON Lines, one report object per line.
            print(json.dumps(report.to_json(), ensure_ascii=False))
        elif args.json:
            print(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
        else:
            print(render_text(report))
            print()
    return status


def _checked(parse: Callable[[str], T]) -> Callable[[str], T]:
    """A filter parser as an argparse type: its FilterError becomes a one-line usage error."""

    def parse_arg(text: str) -> T:
        from pipelines.filters import FilterError

        try:
            return parse(text)
        except FilterError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse_arg.__name__ = parse.__name__
    return parse_arg


def _years(text: str) -> tuple[int, ...]:
    from pipelines.filters import parse_years

    return parse_years(text)


def _place(text: str) -> Place:
    from pipelines.filters import place_of_code

    return place_of_code(text)


def _metric(text: str) -> str:
    from pipelines.filters import check_metric

    return check_metric(text)


_FORMATS = (".txt", ".html", ".pdf", ".docx", ".doc", ".wps")


def cmd_ingest(args: argparse.Namespace) -> int:
    from pipelines.ingest import ingest
    from pipelines.warehouse import WarehouseError

    try:
        summary = ingest(
            args.paths,
            Path(args.db),
            manifest_paths=[Path(m) for m in args.manifest],
            is_demo=args.demo,
            workers=args.workers,
            progress=not args.quiet,
            prefer_newer=args.prefer_newer,
        )
    except (WarehouseError, ReportError) as exc:
        print(f"xxgk: {exc}", file=sys.stderr)
        return 2
    print(
        f"完成：新增 {summary.new}，更新 {summary.updated}，未变 {summary.unchanged}，"
        f"失败 {len(summary.failed)}；跨年度核对发现 {summary.cross_year_findings} 条 "
        f"→ {args.db}"
    )
    for path, reason in summary.failed:
        print(f"  失败 {path}: {reason}")
    for path, reason in summary.held:
        print(f"  未替换 {path}: {reason}")
    if summary.pending:
        print(f"  待审核 {len(summary.pending)} 份：有审核错误，暂不发布（看板“待审核”页确认）")
    if summary.unsupported:
        print(f"  另有 {summary.unsupported} 个文件不是报告格式（{'、'.join(_FORMATS)}），未读取")
    for path, organ in summary.ambiguous:
        print(f"  地区待定 {path}: “{organ}”有多个同名地区，请在 manifest.csv 中指定 region_code")
    return 1 if summary.failed else 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from pipelines import fetch
    from pipelines.warehouse import WarehouseError

    options = fetch.Options(
        rate=args.rate,
        timeout=args.timeout,
        retries=args.retries,
        backoff=args.backoff,
        max_bytes=int(args.max_mb * 1024 * 1024) if args.max_mb else fetch.MAX_BYTES,
    )
    try:
        run = fetch.run(
            Path(args.urls),
            Path(args.db),
            into=Path(args.into),
            options=options,
            workers=args.workers,
            progress=not args.quiet,
            prefer_newer=args.prefer_newer,
        )
    except (WarehouseError, ReportError) as exc:
        print(f"xxgk: {exc}", file=sys.stderr)
        return 2
    counts = {s: sum(o.status == s for o in run.outcomes) for s in ("fetched", "unchanged")}
    failed_fetch = [o for o in run.outcomes if o.status == "failed"]
    print(
        f"下载：已下载 {counts['fetched']}，未变化 {counts['unchanged']}，"
        f"失败 {len(failed_fetch) + len(run.bad_lines)} → {args.into}"
    )
    for number, reason, _ in run.bad_lines:
        print(f"  失败 第{number}行: {reason}")
    for o in failed_fetch:
        print(f"  失败 {o.line.url}: {o.reason}")
    summary = run.summary
    if summary is not None:
        print(
            f"导入：新增 {summary.new}，更新 {summary.updated}，未变 {summary.unchanged}，"
            f"失败 {len(summary.failed)}；跨年度核对发现 {summary.cross_year_findings} 条 "
            f"→ {args.db}"
        )
        for outcome, path, reason in run.ingest_failures:
            print(f"  失败 {outcome.url if outcome else path}: {reason}")
        for path, reason in summary.held:
            print(f"  未替换 {path}: {reason}")
        for path, organ in summary.ambiguous:
            print(
                f"  地区待定 {path}: “{organ}”有多个同名地区，请在 manifest.csv 中指定 region_code"
            )
    return 1 if run.failed else 0


def cmd_export(args: argparse.Namespace) -> int:
    from pipelines.export import export
    from pipelines.filters import Filters
    from pipelines.warehouse import WarehouseError

    filters = Filters(
        years=args.years or (),
        places=tuple(args.region or ()),
        organs=tuple(args.organ or ()),
        organ_kinds=tuple(args.organ_kind or ()),
        tables=tuple(args.table or ()),
        metrics=tuple(args.metric or ()),
        include_demo=not args.no_demo,
    )
    try:
        n = export(
            Path(args.db),
            Path(args.out),
            filters,
            partition_by_year=args.by_year,
            file_format=args.format,
            form=args.form,
            force=args.force,
        )
    except WarehouseError as exc:
        print(f"xxgk: {exc}", file=sys.stderr)
        return 2
    print(f"已导出 {n} 行 → {args.out}")
    return 0


def cmd_upgrade(args: argparse.Namespace) -> int:
    from pipelines.warehouse import WarehouseError, building

    db = Path(args.db)
    if not db.exists():
        print(f"xxgk: {db}: 仓库不存在 / no warehouse there", file=sys.stderr)
        return 2
    try:
        with building(db):
            pass  # opening it for a batch upgrades it; an empty batch publishes that alone
    except WarehouseError as exc:
        print(f"xxgk: {exc}", file=sys.stderr)
        return 2
    print(f"仓库已是当前版本 → {db}")
    return 0


def cmd_corrections(args: argparse.Namespace) -> int:
    from pipelines import corrections
    from pipelines.warehouse import WarehouseError, open_readonly

    db, path = Path(args.db), Path(args.file)
    try:
        if args.corrections_command == "export":
            con = open_readonly(db)
            try:
                n = corrections.write_csv(con, path)
            finally:
                con.close()
            print(f"已导出 {n} 条更正 → {path}")
            return 0
        items = corrections.read_csv(path)
        summary = corrections.apply(db, items, args.who)
    except WarehouseError as exc:
        print(f"xxgk: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"xxgk: {path}: 无法写入 / cannot write: {exc.strerror}", file=sys.stderr)
        return 2
    print(
        f"完成：应用 {len(summary.applied)} 条更正，已存在 {summary.unchanged} 条，"
        f"涉及 {len(summary.reports)} 份报告 → {db}"
    )
    return 0


def _new_password(args: argparse.Namespace) -> str | None:
    """From stdin (one line) for scripts, else typed twice without echo."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    try:
        first = getpass.getpass("密码 / password: ")
        again = getpass.getpass("再输入一次 / again: ")
    except EOFError:
        print("xxgk: 没有读到密码（脚本请用 --password-stdin）/ no password", file=sys.stderr)
        return None
    if again != first:
        print("xxgk: 两次输入的密码不一致 / the passwords differ", file=sys.stderr)
        return None
    return first


def cmd_user(args: argparse.Namespace) -> int:
    from pipelines import accounts, audit_log

    db = Path(args.db)
    users = Path(args.users) if args.users else accounts.default_path(db)
    try:
        if args.user_command == "list":
            listed = accounts.listing(users)
            for name, created in listed:
                print(f"{name}\t{created}")
            if not listed:
                print(f"（没有账号）→ {users}", file=sys.stderr)
            return 0
        if args.user_command == "add":
            password = _new_password(args)
            if password is None:
                return 1
            existed = args.replace and accounts.check_name(args.name) in accounts.load(users)
            name = accounts.add(users, args.name, password, replace=args.replace)
            action, said = ("user_password", "已重设密码") if existed else ("user_add", "已添加")
        else:
            name = args.name.strip()
            if not accounts.remove(users, name):
                print(f"xxgk: 没有账号“{name}” / no such account → {users}", file=sys.stderr)
                return 1
            action, said = "user_remove", "已删除"
    except accounts.AccountError as exc:
        print(f"xxgk: {exc}", file=sys.stderr)
        return 2
    print(f"{said}账号 {name} → {users}")
    try:
        audit_log.append(
            audit_log.journal_path(db),
            audit_log.os_user(),
            action,
            name,
            {"users_file": str(users.resolve()), "via": "cli"},
        )
    except OSError as exc:
        print(f"xxgk: 警告：无法写入操作记录 / cannot write the audit log: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from pipelines import audit_log, review
    from pipelines.warehouse import WarehouseError

    on = args.value == "on"
    try:
        released = review.set_review_errors(Path(args.db), on, audit_log.os_user())
    except WarehouseError as exc:
        print(f"xxgk: {exc}", file=sys.stderr)
        return 2
    if on:
        print("已开启待审核：有审核错误的新报告先不发布，待编辑确认或更正")
    else:
        print(f"已关闭待审核：全部发布并标记错误（释放 {len(released)} 份待审核报告）")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    from dashboard import serve

    db = Path(args.db)
    if not db.exists():
        print(f"提示：仓库 {db} 还不存在，看板会提示先运行 xxgk ingest", file=sys.stderr)
    warning = serve.exposure_warning(args.host, args.port)
    if warning:
        print(warning, file=sys.stderr)
    print(f"看板：{serve.url(args.host, args.port)}（仓库 {db}；Ctrl+C 停止）")
    sys.stdout.flush()
    sys.stderr.flush()  # what is still buffered is lost at execve
    command = serve.command(args.port, args.host)
    # Become the server (exec, not a child process), so that a signal that stops
    # `xxgk serve` stops the dashboard too instead of leaving it running orphaned.
    os.execve(command[0], command, serve.environment(db))
    return 0  # pragma: no cover - execve does not return


def cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.demo.setup import prepare_demo
    from pipelines.warehouse import WarehouseError

    try:
        setup = prepare_demo(Path(args.db), progress=not args.quiet)
    except (WarehouseError, ReportError) as exc:
        print(f"xxgk: {exc}", file=sys.stderr)
        return 2
    if setup.generated:
        print(f"已生成示例数据 {setup.generated} 份（data/demo，标记为“示例数据”）")
    print(
        f"仓库就绪（{setup.seconds:.0f} 秒）：示例数据新增 {setup.demo.new}，"
        f"真实样本新增 {setup.real.new}、替换同机关同年度的示例 {setup.real.updated}"
    )
    failed = [*setup.demo.failed, *setup.real.failed]
    for path, reason in failed:
        print(f"  失败 {path}: {reason}")
    if args.no_serve:
        return 1 if failed else 0
    return cmd_serve(args)


def _add_db(p: argparse.ArgumentParser) -> None:
    from pipelines.paths import default_db

    p.add_argument(
        "--db",
        default=str(default_db()),
        help="仓库文件（默认 data/xxgk.duckdb，或环境变量 XXGK_DB）",
    )


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

    p = sub.add_parser("ingest", help="把文件或文件夹中的报告导入仓库 / load reports")
    p.add_argument("paths", nargs="+", metavar="PATH")
    _add_db(p)
    p.add_argument(
        "--manifest", action="append", default=[], help="清单 CSV（地区、年度、机关类型）"
    )
    p.add_argument("--demo", action="store_true", help="标记为示例数据")
    p.add_argument("--workers", type=int, help="并行进程数（默认：CPU 核数；0：不另开进程）")
    p.add_argument(
        "--prefer-newer",
        action="store_true",
        help="同一机关同一年度的新文件总是取代现行版本（默认：单元格更少的新文件不取代）",
    )
    p.add_argument("--quiet", action="store_true", help="不显示进度条")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser(
        "fetch", help="从政府网站下载报告及其附件并导入仓库 / download reports and load them"
    )
    p.add_argument("urls", metavar="URLS.txt", help="网址列表：每行一个网址，可跟 机关、年度")
    _add_db(p)
    p.add_argument(
        "--into", default="data/fetched", help="下载文件的存放文件夹（默认 data/fetched）"
    )
    p.add_argument(
        "--rate", type=float, default=1.0, help="同一网站两次请求的最短间隔秒数（默认 1）"
    )
    p.add_argument("--timeout", type=float, default=30.0, help="等待响应的秒数（默认 30）")
    p.add_argument("--retries", type=int, default=3, help="连接失败、超时、5xx、429 时重试次数")
    p.add_argument("--backoff", type=float, default=1.0, help="首次重试前等待秒数，之后每次加倍")
    p.add_argument(
        "--max-mb", type=float, help="单个文件的大小上限（MB，默认按格式：网页 16、PDF 64）"
    )
    p.add_argument("--workers", type=int, help="并行解析进程数（默认：CPU 核数；0：不另开进程）")
    p.add_argument(
        "--prefer-newer",
        action="store_true",
        help="同一机关同一年度的新文件总是取代现行版本（默认：单元格更少的新文件不取代）",
    )
    p.add_argument("--quiet", action="store_true", help="不显示导入进度条")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("export", help="把筛选后的数据导出为文件 / export the data")
    p.add_argument("out", metavar="OUT", help="文件（.parquet、.csv、.xlsx）或 --by-year 的文件夹")
    _add_db(p)
    p.add_argument("--years", type=_checked(_years), help="年度，如 2021、2019-2023 或 2019,2021")
    p.add_argument(
        "--region",
        type=_checked(_place),
        action="append",
        help="行政区划代码（省、市或县），可多次",
    )
    p.add_argument("--organ", action="append", help="机关标识（organ_id），可多次")
    p.add_argument("--organ-kind", action="append", choices=["government", "department"])
    p.add_argument("--table", action="append", choices=sorted(catalog.TABLES))
    p.add_argument("--metric", type=_checked(_metric), action="append", help="指标键，可多次")
    p.add_argument("--no-demo", action="store_true", help="不含示例数据")
    p.add_argument(
        "--format",
        choices=["parquet", "csv", "xlsx"],
        help="文件格式（默认按扩展名，否则 Parquet）",
    )
    p.add_argument(
        "--form",
        choices=["long", "wide"],
        default="long",
        help="长表（默认）或宽表（每份报告一行）",
    )
    p.add_argument("--by-year", action="store_true", help="按年度分区写成目录（hive 分区）")
    p.add_argument("--force", action="store_true", help="覆盖已有的文件或 xxgk 的按年度导出")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "upgrade", help="把旧版本写入的仓库升级到当前版本 / upgrade an older warehouse"
    )
    _add_db(p)
    p.set_defaults(func=cmd_upgrade)

    p = sub.add_parser("user", help="管理看板编辑人员的本地账号 / manage editors' accounts")
    users = p.add_subparsers(dest="user_command", required=True)
    for command, text in (
        ("add", "添加账号（或加 --replace 重设密码）/ add an account"),
        ("remove", "删除账号 / remove an account"),
        ("list", "列出账号 / list the accounts"),
    ):
        u = users.add_parser(command, help=text)
        if command != "list":
            u.add_argument("name", metavar="NAME", help="账号名")
        if command == "add":
            u.add_argument(
                "--password-stdin", action="store_true", help="从标准输入读取密码（一行，供脚本）"
            )
            u.add_argument("--replace", action="store_true", help="账号已存在时重设其密码")
        _add_db(u)
        u.add_argument(
            "--users", help="账号文件（默认为仓库旁的 users.json，或环境变量 XXGK_USERS）"
        )
        u.set_defaults(func=cmd_user)

    p = sub.add_parser("corrections", help="导出或导入人工更正 / export or import corrections")
    corr = p.add_subparsers(dest="corrections_command", required=True)
    c = corr.add_parser("export", help="把全部更正写入 CSV 文件 / write every correction to CSV")
    c.add_argument("file", metavar="FILE.csv")
    _add_db(c)
    c.set_defaults(func=cmd_corrections)
    c = corr.add_parser(
        "import", help="从 CSV 文件应用更正（重复导入不重复应用）/ apply corrections from CSV"
    )
    c.add_argument("file", metavar="FILE.csv")
    _add_db(c)
    c.add_argument("--who", required=True, help="更正人（记入操作记录）")
    c.set_defaults(func=cmd_corrections)

    p = sub.add_parser("settings", help="仓库设置 / warehouse settings")
    settings = p.add_subparsers(dest="settings_command", required=True)
    s = settings.add_parser(
        "review-errors",
        help="有审核错误的报告先待审核再发布（默认 off）/ hold reports with errors for review",
    )
    s.add_argument("value", choices=("on", "off"))
    _add_db(s)
    s.set_defaults(func=cmd_settings)

    p = sub.add_parser("serve", help="打开看板（Streamlit）/ run the dashboard")
    _add_db(p)
    p.add_argument("--port", type=int, default=8501, help="端口（默认 8501）")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="监听地址（默认 127.0.0.1：只有本机能打开；0.0.0.0 为所有地址，查看数据无需登录）",
    )
    p.add_argument("--address", dest="host", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "demo", help="生成示例数据、导入真实样本并打开看板 / build the demo warehouse and serve it"
    )
    _add_db(p)
    p.add_argument("--port", type=int, default=8501, help="端口（默认 8501）")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="监听地址（默认 127.0.0.1：只有本机能打开；0.0.0.0 为所有地址，查看数据无需登录）",
    )
    p.add_argument("--address", dest="host", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.add_argument("--no-serve", action="store_true", help="只准备仓库，不打开看板")
    p.add_argument("--quiet", action="store_true", help="不显示进度条")
    p.set_defaults(func=cmd_demo)
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
