"""A home of several sites for tests and bench/sites.py: one Mosquitto, a hub and satellites,
each ``edge-os run`` in a process of its own, each satellite's microphone a real-time stream
on its stdin (silence, and the clips it is told to hear)."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_os.audio.format import INTERNAL_FORMAT
from edge_os.audio.wav import read_wav
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from tests.conftest import EXAMPLE_HOME, REPO
from tests.waiting import wait_until

BLOCK_SECONDS = 0.08
BLOCK_BYTES = int(INTERNAL_FORMAT.bytes_per_second * BLOCK_SECONDS)


def _areas() -> str:
    home = EXAMPLE_HOME.read_text(encoding="utf-8")
    return home[home.index("areas:") : home.index("entities:")]


def _mqtt(broker: EmbeddedBroker) -> str:
    return f"mqtt: {{host: {broker.host}, port: {broker.port}, reconnect_max_seconds: 0.5}}\n"


def hub_config(folder: Path, broker: EmbeddedBroker, site: str = "hub") -> Path:
    """The example home's devices, served by a hub (no microphone, answers to satellites)."""
    home = EXAMPLE_HOME.read_text(encoding="utf-8")
    home = home.replace("site:\n  id: home\n", f"site:\n  id: {site}\n  role: hub\n", 1)
    home = home.replace("paths: [../apps]", f"paths: [{REPO / 'apps'}]", 1)
    path = folder / f"{site}.yaml"
    path.write_text(
        home
        + f"state_dir: {folder / (site + '-state')}\n"
        + _mqtt(broker)
        + "audio: {output: {sink: 'null'}}\n"
        # a spoken yes comes ~10 s after the question once another room has had its say,
        # in real time through five processes: the default 10 s expired under load
        + "intent: {confirm_timeout_seconds: 30}\n",
        encoding="utf-8",
    )
    return path


def satellite_config(
    folder: Path, broker: EmbeddedBroker, site: str, area: str, group: str = "home"
) -> Path:
    """A satellite in ``area``: its microphone is stdin, its speaker a WAV file."""
    path = folder / f"{site}.yaml"
    path.write_text(
        f"site: {{id: {site}, area: {area}, role: satellite, arbitration_group: {group}}}\n"
        + _areas()
        + f"state_dir: {folder / (site + '-state')}\n"
        + _mqtt(broker)
        + "audio: {input: {source: stdin}, output: {sink: file, file: "
        + f"{folder / (site + '-answer.wav')}}}}}\n",
        encoding="utf-8",
    )
    return path


@dataclass
class Heard:
    """A clip a satellite is to hear: at what gain, after what delay."""

    pcm: bytes
    gain: float = 1.0
    delay_seconds: float = 0.0


def clip_pcm(path: Path) -> bytes:
    """A WAV file as 16 kHz mono PCM."""
    return read_wav(path).pcm


class SiteProcess:
    """``edge-os run`` for one config; a satellite's stdin gets audio in real time."""

    def __init__(self, config: Path, log: Path, *, microphone: bool) -> None:
        self.config = config
        self.log = log
        self.microphone = microphone
        self.state_dir = config.parent / (config.stem + "-state")
        self._heard: queue.Queue[Heard] = queue.Queue()
        self.spoken_end: list[float] = []
        """Wall time at which each clip's last sample was written."""
        self._stop = threading.Event()
        self._feeder: threading.Thread | None = None
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "edge_os", "-c", str(self.config), "--log-level", "INFO",
                 "run", "--no-llm"],
                cwd=REPO,
                stdin=subprocess.PIPE if self.microphone else subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        if self.microphone:
            self._stop = threading.Event()
            self._feeder = threading.Thread(target=self._feed, args=(process,), daemon=True)
            self._feeder.start()
        return process

    def restart(self) -> None:
        """Start it again after :meth:`kill`."""
        self.process = self._start()

    def hear(self, clip: Heard) -> None:
        """Play ``clip`` into its microphone next."""
        self._heard.put(clip)

    def _feed(self, process: subprocess.Popen[bytes]) -> None:
        silence = bytes(BLOCK_BYTES)
        pending = b""
        clip_left = 0
        started = time.monotonic()
        blocks = 0
        stdin = process.stdin
        assert stdin is not None
        while not self._stop.is_set():
            if not pending:
                try:
                    heard = self._heard.get_nowait()
                except queue.Empty:
                    pass
                else:
                    samples = np.frombuffer(heard.pcm, dtype="<i2").astype(np.float64)
                    loud = np.clip(samples * heard.gain, -32768, 32767).astype("<i2").tobytes()
                    lead = bytes(2 * round(heard.delay_seconds * INTERNAL_FORMAT.rate))
                    pending = lead + loud
                    clip_left = len(pending)
            block = pending[:BLOCK_BYTES].ljust(BLOCK_BYTES, b"\0") if pending else silence
            if pending:
                pending = pending[BLOCK_BYTES:]
                clip_left -= BLOCK_BYTES
                if clip_left <= 0:
                    self.spoken_end.append(time.time())
            try:
                stdin.write(block)
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                return
            blocks += 1
            time.sleep(max(0.0, started + blocks * BLOCK_SECONDS - time.monotonic()))

    def status(self) -> dict[str, Any]:
        """Its status file (empty before the first)."""
        try:
            data = json.loads((self.state_dir / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def wait_ready(self, timeout: float = 60) -> None:
        """Until it writes its status from this process."""

        def ready() -> bool:
            assert self.process.poll() is None, self.log.read_text(encoding="utf-8")[-3000:]
            return self.status().get("pid") == self.process.pid

        wait_until(ready, timeout, f"{self.config.stem} to start")

    def kill(self) -> None:
        """SIGKILL: a power cut."""
        self._stop.set()
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM and wait."""
        self._stop.set()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
