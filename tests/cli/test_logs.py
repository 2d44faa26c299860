"""``edge-os logs``: a real ``edge-os run`` writes its events, ``logs`` shows them short."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from edge_os.cli.logs_cmd import render
from tests.conftest import EXAMPLE_HOME, REPO

RECORDING = REPO / "audio" / "samples" / "hey-jarvis-turn-on-the-kitchen-light.wav"


def test_an_event_line_is_made_short_and_coloured() -> None:
    line = '2026-11-29 19:01:47,843 INFO edge_os.events: event {"type": "transcript", "text": "hi"}'
    assert render(line, plain=True).endswith('transcript    "hi"')
    assert "\033[32m" in render(line, plain=False)
    warning = "2026-11-29 19:01:48 WARNING edge_os.drivers.mqtt.sender: nobody is subscribed"
    assert render(warning, plain=False).startswith("\033[33m")
    assert render("event {not json", plain=False) == "event {not json"


def test_the_service_log_shows_what_happened(tmp_path: Path) -> None:
    config = tmp_path / "home.yaml"
    config.write_text(
        EXAMPLE_HOME.read_text(encoding="utf-8").replace("paths: [../apps]", "paths: []")
        + f"state_dir: {tmp_path / 'state'}\naudio: {{output: {{sink: 'null'}}}}\n",
        encoding="utf-8",
    )
    log = tmp_path / "edge-os.log"
    with log.open("w", encoding="utf-8") as out:
        ran = subprocess.run(
            [sys.executable, "-m", "edge_os", "-c", str(config), "run", "--input",
             str(RECORDING), "--no-llm"],
            cwd=REPO, stderr=out, stdout=subprocess.DEVNULL, check=False, timeout=180,
        )  # fmt: skip
    assert ran.returncode == 0, log.read_text(encoding="utf-8")[-2000:]
    shown = subprocess.run(
        [sys.executable, "-m", "edge_os", "logs", "--file", str(log), "-n", "0"],
        cwd=REPO, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert "wake-detected hey_jarvis (0.9" in shown
    assert 'transcript    "Turn on the kitchen light"' in shown
    assert "intent        HassTurnOn light.kitchen_ceiling [grammar]" in shown
    assert "\033[" not in shown  # not a terminal: plain
