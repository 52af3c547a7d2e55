"""人工更正 from 报告详情: the cells an editor may correct, and the correction's job.

The page adds no second way to correct: a correction asked for on the page is one item
given to ``pipelines.corrections.apply``, exactly as ``xxgk corrections import`` gives a row
of its file, so it is checked by the same rules, applied as a batch under the warehouse's
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


def start(
    db: Path, report_id: str, target: str, new_value: str | None, reason: str, editor: str
) -> Job:
    """Start applying one correction in a child process; returns at once."""
    folder = jobs.new_folder(jobs_dir(db))
    return jobs.spawn(
        folder,
        "dashboard.correct",
        {
            "db": str(db.resolve()),
            "editor": editor,
            "report_id": report_id,
            "target": target,
            "new_value": new_value,
            "reason": reason,
        },
    )


def state(job: Job) -> State:
    return jobs.state(job, "更正进程意外退出，更正未写入，仓库保持原样")


def run_job(folder: Path) -> int:
    """The child: ``corrections.apply`` of the one item, waiting its turn for the lock."""
    import json

    from pipelines import corrections
    from pipelines.warehouse.errors import WarehouseError

    request = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    editor = request.get("editor", "")
    item = corrections.Item(
        report_id=request["report_id"],
        target=request["target"],
        new_value=request.get("new_value"),
        reason=request.get("reason", ""),
    )
    result: dict[str, Any]
    try:
        summary = jobs.when_free(
            folder, lambda: corrections.apply(Path(request["db"]), [item], editor)
        )
        result = {
            "status": "done",
            "applied": summary.applied,
            "unchanged": summary.unchanged,
            "editor": editor,
        }
    except corrections.CorrectionError as exc:
        result = {
            "status": "refused",
            "problems": [jobs.chinese(reason) for _, reason in exc.problems],
            "editor": editor,
        }
    except WarehouseError as exc:
        result = {"status": "failed", "error": jobs.chinese(str(exc)), "editor": editor}
    except Exception as exc:  # recorded for the page, which would otherwise wait forever
        result = {
            "status": "failed",
            "error": f"更正失败，未写入，仓库保持原样（{type(exc).__name__}: {exc}）"[:500],
            "editor": editor,
        }
    jobs.write_json(folder / "result.json", result)
    return 0 if result["status"] == "done" else 2


if __name__ == "__main__":
    sys.exit(run_job(Path(sys.argv[1])))
