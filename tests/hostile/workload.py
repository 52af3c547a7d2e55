"""Work for the worker-pool tests: run in the pool's processes, so it must be importable."""

from __future__ import annotations

import os
import time


def burn(item: str) -> str:
    """``spin``: loop in Python for ever (only the CPU limit stops it); ``die``: the process
    exits as a crash in a C library would; ``hog``: allocate past any sane limit; ``hang``:
    wait without using CPU, as a call stuck in C code would; else echo."""
    if item == "spin":
        n = 0
        while True:
            n += 1
    if item.startswith("work"):  # 0.6 s of CPU: under a 1 s limit, many times over
        end = time.process_time() + 0.6
        while time.process_time() < end:
            pass
        return item.upper()
    if item == "hang":
        time.sleep(3600)
    if item == "die":
        os._exit(3)
    if item == "hog":
        blocks = []
        while True:
            blocks.append(bytearray(64 * 1024 * 1024))
    return item.upper()


def lost(item: str) -> str:
    return f"lost:{item}"
