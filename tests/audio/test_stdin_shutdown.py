"""``edge-os run`` with ``audio.input.source: stdin`` stops cleanly on SIGTERM.

The audio thread is a daemon blocked reading stdin when the signal comes; a buffered reader
held by it at interpreter shutdown aborted the process ("Fatal Python error:
_enter_buffered_busy"). This runs the service exactly as systemd or a shell pipe would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO

from tests.conftest import REPO
from tests.waiting import wait_until

BLOCK = bytes(2 * 1280)
"""80 ms of 16 kHz 16-bit mono silence."""


def _stream_seconds(status: Path) -> float:
    try:
        data = json.loads(status.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0.0
    return float(data.get("stream_seconds", 0.0))


def test_sigterm_while_reading_stdin_exits_cleanly(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "audio:\n  input: {source: stdin}\n  output: {sink: 'null'}\nstate_dir: state\n",
        encoding="utf-8",
    )
    status = tmp_path / "state" / "status.json"
    log = tmp_path / "stderr.txt"
    with log.open("wb") as stderr:
        service = _start(config, stderr)
    assert service.stdin is not None
    try:
        # Half a second of audio, then nothing: the pipe stays open (until the process has
        # ended), so the audio thread is blocked in a read when SIGTERM arrives.
        service.stdin.write(BLOCK * 6)
        service.stdin.flush()

        def streamed() -> bool:
            if _stream_seconds(status) >= 0.4:
                return True
            assert service.poll() is None, "the service ended before SIGTERM"
            return False

        wait_until(streamed, 8, "the service to read stdin")
        time.sleep(0.2)
        os.kill(service.pid, signal.SIGTERM)
        returncode = service.wait(timeout=8)
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()
        service.stdin.close()
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Fatal Python error" not in text
    assert "Traceback" not in text
    assert returncode == 0, text[-2000:]


def _start(config: Path, stderr: BinaryIO) -> subprocess.Popen[bytes]:
    """``edge-os run`` on ``config`` with stdin a pipe of ours."""
    return subprocess.Popen(
        [sys.executable, "-m", "edge_os", "--config", str(config), "run", "--no-llm"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        cwd=REPO,
    )
