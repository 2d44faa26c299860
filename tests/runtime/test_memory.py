"""The C heap's thresholds the CLI fixes before its models load."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

SCRIPT = """
from edge_os.runtime.memory import tune_heap
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
print(tune_heap())
before = rss()
for size in (6, 8, 10, 7, 9, 5) * 4:  # blocks of varying size, each freed before the next
    block = bytearray(size * 2**20)
    del block
print(round(rss() - before, 1))
"""


def _run(**env: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_freed_blocks_of_a_few_mb_go_back_at_once() -> None:
    tuned, kept = _run()
    assert tuned == "True"
    assert float(kept) < 2  # each block was unmapped when freed


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_glibc_s_own_environment_settings_win() -> None:
    tuned, kept = _run(MALLOC_MMAP_THRESHOLD_=str(64 * 2**20), MALLOC_TRIM_THRESHOLD_=str(2**28))
    assert tuned == "False"
    assert float(kept) > 4  # blocks under the threshold stay in the heap, as asked
