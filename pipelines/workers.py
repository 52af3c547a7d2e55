"""Running a function over many files on every core, so that no single file can cost a batch.

Three things go wrong with a plain process pool on real input, and each is handled here:

- **Memory runs away** when the parent reads results more slowly than the workers make them
  (a 100,000-file ingest held every parsed report at once). Tasks are submitted through a
  bounded window, in order, so what is in flight is a few dozen files, not the whole batch.
- **One file kills a worker or hangs it** (a memory or CPU limit, a crash or an endless
  call in a C library). The pool then breaks, or is killed when an item takes far longer
  than its CPU limit allows, and loses every task in flight. Those files are re-run one at a
  time in a fresh pool: the file that breaks or hangs it again is the culprit and becomes
  one named failure; the others go on. Each worker runs under an address-space limit and a
  per-file CPU limit.
- **Workers outlive a killed parent** (``kill -9`` of an ingest left workers blocked on the
  task queue). Each worker watches the process that started the pool and exits within a
  second of it being gone; the forkserver then exits too.

The function runs in the worker as ``fn(item)`` and must return a picklable value; the
caller turns a lost item into its own failure value with ``on_lost``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Limits:
    """What one worker may use. ``memory_mb`` bounds its address space, ``cpu_seconds`` one
    item's CPU time (a soft limit the item sees as ``ItemTimeout``; a worker that does not
    return to Python within ``grace_seconds`` more is killed by the kernel)."""

    memory_mb: int = 2048
    cpu_seconds: int = 60
    grace_seconds: int = 10

    @property
    def wall_seconds(self) -> int:
        """How long the pool waits for one item before it takes its worker for hung: a call
        stuck in C code (or asleep) never returns to Python to see its CPU limit."""
        return 2 * (self.cpu_seconds + self.grace_seconds)

    @classmethod
    def from_env(cls) -> Limits:
        """``XXGK_WORKER_MEMORY_MB`` and ``XXGK_WORKER_CPU_SECONDS`` override the defaults."""
        d = cls()
        return cls(
            memory_mb=int(os.environ.get("XXGK_WORKER_MEMORY_MB") or d.memory_mb),
            cpu_seconds=int(os.environ.get("XXGK_WORKER_CPU_SECONDS") or d.cpu_seconds),
        )


class ItemTimeout(Exception):
    """Raised inside a worker when one item used up its CPU time."""


_limits = Limits()
_cpu_hard = resource.RLIM_INFINITY  # the worker's hard CPU limit, never lowered (see below)


_in_item = False  # SIGXCPU is an item's timeout only while the item runs


def _on_cpu_limit(signum: int, frame: object) -> None:
    if _in_item:  # a late signal between items must not kill the worker
        raise ItemTimeout()


def _start_time(pid: int) -> str | None:
    """The process's start time (from /proc), which tells it apart from a later one with its
    pid; None when it is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]


def _die_with(owner: int, started: str | None) -> None:
    """Exit as soon as ``owner`` (the process that runs the pool) is gone.

    A worker's parent is the forkserver, not the owner, and the forkserver lives on while
    any worker does (each holds its end of the forkserver's "alive" pipe), so neither a
    parent-death signal nor the pipe helps: the worker watches the owner itself.
    """

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if _start_time(owner) != started:
                os._exit(1)

    threading.Thread(target=watch, name="xxgk-owner-watch", daemon=True).start()


def _init_worker(
    owner: tuple[int, str | None],
    limits: Limits,
    init: Callable[..., None] | None,
    init_args: tuple,
) -> None:
    global _limits, _cpu_hard
    _limits = limits
    _cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    _die_with(*owner)
    if limits.memory_mb > 0:
        cap = limits.memory_mb * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.signal(signal.SIGXCPU, _on_cpu_limit)
    if init is not None:
        init(*init_args)


def _cpu_used() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return int(usage.ru_utime + usage.ru_stime) + 1


def call_limited(fn: Callable[[T], R], item: T) -> R:
    """``fn(item)`` under the per-item CPU limit (in a worker; a no-op limit elsewhere).

    Only the soft limit moves: the kernel then signals SIGXCPU, which Python turns into
    ``ItemTimeout`` at its next instruction. The hard limit is left alone, since a process
    that is not privileged can lower it but never raise it again for the next item; an item
    that never returns to Python is caught by the pool's wall-clock wait instead.
    """
    if _limits.cpu_seconds <= 0:
        return fn(item)
    soft = _cpu_used() + _limits.cpu_seconds
    if _cpu_hard != resource.RLIM_INFINITY:
        soft = min(soft, _cpu_hard)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, _cpu_hard))
    except (ValueError, OSError):
        return fn(item)
    global _in_item
    _in_item = True
    try:
        return fn(item)
    finally:
        _in_item = False
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_CPU, (_cpu_hard, _cpu_hard))


def _run_task(fn: Callable[[T], R], items: list[T]) -> list[R]:
    return [call_limited(fn, item) for item in items]


class _Pool:
    def __init__(
        self,
        workers: int,
        limits: Limits,
        init: Callable[..., None] | None,
        init_args: tuple,
        preload: list[str],
    ) -> None:
        ctx = multiprocessing.get_context("forkserver")
        if preload:
            ctx.set_forkserver_preload(preload)
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=((os.getpid(), _start_time(os.getpid())), limits, init, init_args),
        )

    def submit(self, fn: Callable[[T], R], items: list[T]) -> Future[list[R]]:
        return self.executor.submit(_run_task, fn, items)

    def close(self, wait: bool = True) -> None:
        if not wait:
            for proc in list(getattr(self.executor, "_processes", {}).values()):
                with contextlib.suppress(Exception):
                    proc.kill()
        self.executor.shutdown(wait=wait, cancel_futures=True)


def run_ordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int,
    on_lost: Callable[[T], R],
    init: Callable[..., None] | None = None,
    init_args: tuple = (),
    preload: list[str] | None = None,
    limits: Limits | None = None,
    task_size: int = 4,
    window: int | None = None,
) -> Iterator[R]:
    """``fn`` over ``items`` in worker processes; results in the order of ``items``.

    ``workers <= 0`` runs in this process (for tests and tiny batches; no limits apply).
    """
    if workers <= 0:
        if init is not None:
            init(*init_args)
        for item in items:
            yield fn(item)
        return
    limits = limits or Limits.from_env()
    window = window or workers * 4
    wait = limits.wall_seconds * task_size if limits.cpu_seconds > 0 else None
    args = (limits, init, init_args, preload or [])
    pool = _Pool(workers, *args)
    pending: deque[tuple[list[T], Future[list[R]]]] = deque()
    source = iter(items)
    exhausted = False

    def fill() -> None:
        nonlocal exhausted
        while not exhausted and len(pending) < window:
            task = [x for _, x in zip(range(task_size), source, strict=False)]
            if not task:
                exhausted = True
                return
            try:
                future = pool.submit(fn, task)
            except BrokenProcessPool as exc:  # broke since the last look: handled in turn
                future: Future[list[R]] = Future()
                future.set_exception(exc)
            pending.append((task, future))

    try:
        fill()
        while pending:
            future = pending[0][1]
            try:
                results = future.result(timeout=wait)
            except (BrokenProcessPool, TimeoutError):  # a worker died, or hangs: kill them all
                lost = [x for t, _ in pending for x in t]
                pending.clear()
                pool.close(wait=False)
                yield from _isolate(fn, lost, on_lost, args, limits)
                pool = _Pool(workers, *args)
                fill()
                continue
            except Exception:  # ``fn`` raised (e.g. MemoryError): find the item, lose it alone
                task, _ = pending.popleft()
                yield from _isolate(fn, task, on_lost, args, limits)
                fill()
                continue
            pending.popleft()
            yield from results
            fill()
    finally:
        if pending:  # the caller stopped early: do not wait for the work in flight
            pool.close(wait=False)
        else:
            pool.close()


def _isolate(
    fn: Callable[[T], R],
    items: list[T],
    on_lost: Callable[[T], R],
    args: tuple[Any, ...],
    limits: Limits,
) -> Iterator[R]:
    """Re-run the items of a broken pool one by one; the one that breaks it again is lost."""
    wait = limits.wall_seconds if limits.cpu_seconds > 0 else None
    pool = _Pool(1, *args)
    try:
        for item in items:
            try:
                yield pool.submit(fn, [item]).result(timeout=wait)[0]
            except (BrokenProcessPool, TimeoutError):
                pool.close(wait=False)
                yield on_lost(item)
                pool = _Pool(1, *args)
            except Exception:
                yield on_lost(item)
    finally:
        pool.close(wait=False)
