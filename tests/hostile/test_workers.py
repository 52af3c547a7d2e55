"""The worker pool under files that spin, crash or eat memory: each is one lost item.

Real processes, real kernel limits (``RLIMIT_CPU``, ``RLIMIT_AS``): the workload module
misbehaves on purpose for some items; the others must come back, in order.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from pipelines.prepare import Failure
from pipelines.workers import ItemTimeout, Limits, run_ordered
from tests.hostile.workload import burn, lost


def _spin_or_timeout(item: str) -> str:
    try:
        return burn(item)
    except ItemTimeout:
        return f"timeout:{item}"


def test_a_crashing_item_is_lost_alone_and_the_order_is_kept() -> None:
    items = ["a", "b", "die", "c", "d", "e", "f", "g", "h"]
    out = list(run_ordered(burn, items, workers=2, on_lost=lost, task_size=2, window=4))
    assert out == ["A", "B", "lost:die", "C", "D", "E", "F", "G", "H"]


def test_a_pool_that_breaks_while_work_is_being_handed_out_loses_only_the_crash() -> None:
    """The worker of "die" dies while the next items are still being read (a slow folder
    walk): the pool is already broken when "c" is handed to it, which must not end the run."""

    def slowly() -> Iterator[str]:
        yield from ("a", "die")
        time.sleep(1.5)  # the crash happens here
        yield from ("c", "d")

    out = list(run_ordered(burn, slowly(), workers=2, on_lost=lost, task_size=1, window=8))
    assert out == ["A", "lost:die", "C", "D"]


def test_an_item_that_spins_is_stopped_by_its_cpu_limit() -> None:
    limits = Limits(memory_mb=2048, cpu_seconds=1, grace_seconds=2)
    out = list(
        run_ordered(_spin_or_timeout, ["a", "spin", "b"], workers=2, on_lost=lost, limits=limits)
    )
    assert out == ["A", "timeout:spin", "B"]


def test_an_item_that_eats_memory_is_lost_alone() -> None:
    """Under a 512 MB address space the allocation fails (MemoryError) or the worker dies."""
    limits = Limits(memory_mb=512, cpu_seconds=30)
    out = list(run_ordered(burn, ["a", "hog", "b"], workers=2, on_lost=lost, limits=limits))
    assert out[0] == "A" and out[2] == "B"
    assert out[1] == "lost:hog"


def test_the_ingest_names_a_lost_file() -> None:
    from pipelines.prepare import lost as lost_file

    failure = lost_file("/reports/报告.pdf")
    assert isinstance(failure, Failure) and failure.kind == "crashed"
    assert failure.path == "/reports/报告.pdf" and "异常退出" in failure.reason


def test_an_item_that_hangs_without_using_cpu_is_lost_alone() -> None:
    """No CPU limit fires for a worker that waits; the pool's wall-clock wait does."""
    limits = Limits(memory_mb=2048, cpu_seconds=1, grace_seconds=1)  # waits 4 s for an item
    items = ["a", "hang", "b", "c"]
    out = list(run_ordered(burn, items, workers=2, on_lost=lost, limits=limits, task_size=1))
    assert out == ["A", "lost:hang", "B", "C"]


def test_every_item_gets_its_own_cpu_limit_without_privileges() -> None:
    """An unprivileged worker cannot raise a hard limit it lowered: twelve items of 0.6 s each
    under a 1 s limit must all pass, however much CPU the worker has used before them."""
    import os
    import subprocess
    import sys

    code = (
        "from pipelines.workers import Limits, run_ordered\n"
        "from tests.hostile.workload import burn, lost\n"
        "limits = Limits(memory_mb=2048, cpu_seconds=1, grace_seconds=1)\n"
        "items = [f'work{i}' for i in range(12)]\n"
        "print(list(run_ordered(burn, items, workers=2, on_lost=lost, limits=limits)))\n"
    )
    # Without CAP_SYS_RESOURCE, as any ordinary user runs it (root keeps it otherwise).
    drop = ["setpriv", "--bounding-set", "-sys_resource"] if os.geteuid() == 0 else []
    result = subprocess.run(
        [*drop, sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str([f"WORK{i}" for i in range(12)])
