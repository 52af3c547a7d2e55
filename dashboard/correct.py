"""人工更正 from 报告详情: the cells an editor may correct, and the correction's job.

The page adds no second way to correct: a correction asked for on the page is one item
given to ``pipelines.corrections.apply``, exactly as ``xxgk corrections import`` gives a row
of its file (a whole printed row: one item per changed cell, in one call, so all or none),
so it is checked by the same rules, applied as a batch under the warehouse's
lock and recorded in the audit log under the editor's name. It runs in a child process
(``dashboard.jobs``), like an upload's ingest: the Streamlit server never holds the writer,
and the page polls the job until its result is there.

This module does not import Streamlit: the child process runs it as ``python -m
dashboard.correct JOB_DIR``, and the tests call it directly.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dashboard import jobs
from pipelines.corrections import FIELD_LABELS
from pipelines.warehouse.derived import FIELD_TARGETS

JOBS_NAME = ".correction-jobs"  # hidden, beside the warehouse: an ingest never reads it

Job = jobs.Job
State = jobs.State


def jobs_dir(db: Path) -> Path:
    return db.resolve().parent / JOBS_NAME


def cell_options(
    cells: Mapping[str, tuple[str, float | None, bool]], editions: Mapping[str, str]
) -> dict[str, str]:
    """Target -> label of what an editor may correct in one report: the cells it prints
    (``cells``: address -> part, value, blank), in the order 报告详情 draws them and named
    as there (part, row, column), then the report's organ, region code and year.

    A derived cell (a sum the template does not print) is not offered: ``apply`` refuses it.
    """
    from dashboard import report_diff
    from pipelines import catalog

    keys = list(cells)
    order = report_diff.layout(editions, keys)
    out: dict[str, str] = {}
    for part in report_diff.PARTS:
        mine = [k for k in cells if cells[k][0] == part]
        ordered = [k for k in order[part] if k in cells] + [
            k for k in mine if k not in set(order[part])
        ]
        for key in ordered:
            metric = catalog.METRICS_BY_KEY.get(key.partition("@")[0])
            if metric is None or metric.derived:
                continue
            out[key] = f"{report_diff.PART_TITLES[part]} · {report_diff.cell_label(key)}"
    for target in FIELD_TARGETS:
        out[target] = f"报告信息 · {FIELD_LABELS[target]}"
    return out


def row_options(
    cells: Mapping[str, tuple[str, float | None, bool]], editions: Mapping[str, str]
) -> dict[str, tuple[str, list[str]]]:
    """Row -> (label, its targets) of the printed rows an editor may correct at once: a row of
    part 三 (its applicant columns), of part 二 or of part 四, with the same cells, names and
    order as ``cell_options``, so a row's cells are the single form's cells taken together.

    A printed total is wrong with its row more often than alone (（七）总计 all zeros), and
    correcting it cell by cell would publish the row half-corrected in between.
    """
    from dashboard import report_diff

    out: dict[str, tuple[str, list[str]]] = {}
    for target, label in cell_options(cells, editions).items():
        if target in FIELD_TARGETS:
            continue
        row, column = report_diff.split_key(target)
        if not column:
            continue
        part_row = label.rpartition(" · ")[0]  # "三、依申请公开 · （七）总计"
        out.setdefault(row, (part_row, []))[1].append(target)
    return {row: entry for row, entry in out.items() if len(entry[1]) > 1}


def same_value(now: float | None, new: float | None) -> bool:
    """Whether an input asks for what the report shows already (4 and 4.0 are one number):
    such a cell is not corrected, so a row's batch holds only the cells the editor changed."""
    if now is None or new is None:
        return now is None and new is None
    return float(now) == float(new)


def row_changes(
    now: Mapping[str, float | None], wanted: Mapping[str, float | None]
) -> dict[str, str | None]:
    """Target -> new value (as ``apply`` takes it, None for blank) of the cells that change."""
    from pipelines.corrections import number_text

    return {t: number_text(v) for t, v in wanted.items() if not same_value(now.get(t), v)}


def start(
    db: Path, report_id: str, target: str, new_value: str | None, reason: str, editor: str
) -> Job:
    """Start applying one correction in a child process; returns at once."""
    return start_many(db, report_id, {target: new_value}, reason, editor)


def start_many(
    db: Path,
    report_id: str,
    changes: Mapping[str, str | None],
    reason: str,
    editor: str,
    names: Mapping[str, str] | None = None,
) -> Job:
    """Start applying corrections of one report with one reason (a row's changed cells) as
    one ``apply`` call in a child process, so they are published together or not at all;
    ``names`` labels each target in the reasons a refusal gives. Returns at once."""
    folder = jobs.new_folder(jobs_dir(db))
    items = [
        {"target": t, "new_value": v, "label": (names or {}).get(t, "")} for t, v in changes.items()
    ]
    request: dict[str, Any] = {
        "db": str(db.resolve()),
        "editor": editor,
        "report_id": report_id,
        "reason": reason,
        "items": items,
    }
    if len(items) == 1:  # the single cell's job, as it always was
        request.update(target=items[0]["target"], new_value=items[0]["new_value"])
    return jobs.spawn(folder, "dashboard.correct", request)


def state(job: Job) -> State:
    return jobs.state(job, "更正进程意外退出，更正未写入，仓库保持原样")


def _problem(asked: list[dict[str, Any]], i: int, reason: str) -> str:
    """A refused item's reason for the page; in a row, with the cell it is about, since
    ``apply`` numbers the items and the editor never saw the numbers."""
    text = jobs.chinese(reason)
    if len(asked) > 1 and 0 < i <= len(asked) and asked[i - 1].get("label"):
        return f"{asked[i - 1]['label']}：{text}"
    return text


def run_job(folder: Path) -> int:
    """The child: one ``corrections.apply`` of the asked items (one cell, or a row's changed
    cells: all or none), waiting its turn for the lock."""
    import json

    from pipelines import corrections

    request = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    editor = request.get("editor", "")
    asked = request.get("items") or [
        {"target": request["target"], "new_value": request.get("new_value"), "label": ""}
    ]
    items = [
        corrections.Item(
            report_id=request["report_id"],
            target=a["target"],
            new_value=a.get("new_value"),
            reason=request.get("reason", ""),
        )
        for a in asked
    ]

    def apply() -> dict[str, Any]:
        try:
            summary = jobs.when_free(
                folder, lambda: corrections.apply(Path(request["db"]), items, editor)
            )
        except corrections.CorrectionError as exc:  # the items' own faults, named one by one
            problems = [_problem(asked, i, reason) for i, reason in exc.problems]
            return {"status": "refused", "problems": problems}
        return {"status": "done", "applied": summary.applied, "unchanged": summary.unchanged}

    return jobs.run(folder, apply, editor=editor, failure="更正失败，未写入，仓库保持原样")


if __name__ == "__main__":
    sys.exit(run_job(Path(sys.argv[1])))
