"""edge-os as a user runs it next to Home Assistant: ``edge-os run``, ``say`` and ``wyoming``."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import wave
from pathlib import Path
from typing import TypeVar

from edge_os.drivers.mqtt.broker import EmbeddedBroker
from tests.conftest import REPO
from tests.waiting import wait_until

T = TypeVar("T")

RECORDING = REPO / "audio" / "samples" / "hey-jarvis-turn-on-the-kitchen-light.wav"
""""Hey Jarvis." then "Turn on the kitchen light." (16 kHz, 16-bit, mono)."""


def write_config(folder: Path, broker: EmbeddedBroker) -> Path:
    """A home whose kitchen light is announced by Zigbee2MQTT, not declared here.

    Only the counter lights (a Tasmota relay Home Assistant does not know) are declared, in
    the kitchen too: "the kitchen light" must reach the imported light, not them.
    """
    path = folder / "edge-os.yaml"
    path.write_text(
        f"""\
site: {{id: home, area: living_room}}
areas:
  - {{id: kitchen, name: Kitchen}}
  - {{id: living_room, name: Living room, aliases: [lounge]}}
  - {{id: garden, name: Garden}}
entities:
  - id: light.kitchen_counter
    name: Counter lights
    area: kitchen
    mqtt:
      command_topic: cmnd/kitchen_counter/POWER
      state_topic: stat/kitchen_counter/POWER
mqtt:
  host: {broker.host}
  port: {broker.port}
  reconnect_max_seconds: 1.0
  discovery: {{import_entities: true}}
audio:
  input: {{source: stdin}}
  output: {{sink: "null"}}
state_dir: {folder / "state"}
""",
        encoding="utf-8",
    )
    return path


def edge_os(config: Path, *args: str) -> list[str]:
    """The command line of ``edge-os -c CONFIG ARGS``."""
    return [sys.executable, "-m", "edge_os", "-c", str(config), *args]


class EdgeOsRun:
    """``edge-os run --no-llm`` in its own process; stdin is its microphone."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.status = config.parent / "state" / "status.json"
        self.process = self.start()

    def start(self) -> subprocess.Popen[bytes]:
        """Start the service (again, unless it runs) and wait until it is ready."""
        if getattr(self, "process", None) is not None and self.process.poll() is None:
            return self.process
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                edge_os(self.config, "run", "--no-llm"),
                cwd=REPO,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until(self._ready, 120, "edge-os run to start")
        return self.process

    def _ready(self) -> bool:
        assert self.process.poll() is None, f"edge-os run exited: {self.log_tail()}"
        try:
            status = json.loads(self.status.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return bool(status.get("pid") == self.process.pid)

    def log_text(self) -> str:
        """What the service logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 15) -> str:
        """The end of its log (for failure messages)."""
        return "\n".join(self.log_text().splitlines()[-lines:])

    def speak_into_microphone(self, recording: Path = RECORDING) -> None:
        """The recording, then two seconds of silence (the end of the command), on stdin."""
        with wave.open(str(recording), "rb") as wav:
            pcm = wav.readframes(wav.getnframes())
        assert self.process.stdin is not None
        self.process.stdin.write(pcm + bytes(2 * 16000 * 2))
        self.process.stdin.flush()

    def stop(self) -> int:
        """systemd's stop: SIGTERM, then wait (SIGKILL after 30 s); the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._close_stdin()
        return self.process.returncode

    def kill(self) -> None:
        """A power cut: SIGKILL, nothing is closed."""
        self.process.kill()
        self.process.wait(10)
        self._close_stdin()

    def _close_stdin(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):  # it died with data unread
                self.process.stdin.close()


def say(config: Path, text: str) -> subprocess.CompletedProcess[str]:
    """``edge-os say TEXT --json`` beside the running service."""
    return subprocess.run(
        edge_os(config, "say", text, "--json"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class WyomingServer:
    """``edge-os wyoming`` on 127.0.0.1 and a port the system picks."""

    def __init__(self, config: Path, log: Path) -> None:
        self.log = log
        self._err = log.open("ab")
        self.process = subprocess.Popen(
            edge_os(config, "wyoming", "--uri", "tcp://127.0.0.1:0", "--no-llm"),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=self._err,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        assert first.startswith("edge-os wyoming: listening on tcp://127.0.0.1:"), first
        self.port = int(first.rsplit(":", 1)[1])

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._err.close()
