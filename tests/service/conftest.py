"""A loaded assistant on the example home, talking to a real Mosquitto on loopback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk
from edge_os.audio.wav import read_wav
from edge_os.config.loader import load_config
from edge_os.config.settings import Config
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.pipeline.assistant import Assistant, open_assistant
from edge_os.service.loop import VoiceService
from tests.conftest import EXAMPLE_HOME
from tests.waiting import wait_until

DEMO_WAV = (
    EXAMPLE_HOME.parents[1] / "audio" / "samples" / "hey-jarvis-turn-on-the-kitchen-light.wav"
)


def service_config(broker: EmbeddedBroker, state_dir: Path) -> Config:
    """The example home on ``broker``, answers to no sound card, state in ``state_dir``."""
    config = load_config(EXAMPLE_HOME)
    output = config.audio.output.model_copy(update={"sink": "null"})
    return config.model_copy(
        update={
            "mqtt": config.mqtt.model_copy(update={"host": broker.host, "port": broker.port}),
            "audio": config.audio.model_copy(update={"output": output}),
            "state_dir": state_dir,
        }
    )


@pytest.fixture(scope="module")
def broker() -> Iterator[EmbeddedBroker]:
    """A Mosquitto of this module's own."""
    with EmbeddedBroker() as running:
        yield running


@pytest.fixture(scope="module")
def assistant(
    broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Assistant]:
    """Every stage loaded once for the module (grammar only: no LLM build needed)."""
    config = service_config(broker, tmp_path_factory.mktemp("state"))
    with open_assistant(config, llm=False) as loaded:
        yield loaded


class LiveSilence:
    """An AudioSource that streams silence in real time until closed (a quiet room), and
    in its place any clip handed to :meth:`play` (someone speaking)."""

    name = "live silence"
    live = True

    def __init__(self, block_ms: int = 80) -> None:
        self.block_ms = block_ms
        self._closed = threading.Event()
        self._queued: list[bytes] = []
        self._lock = threading.Lock()

    def play(self, clip: Path, gain: float = 1.0) -> None:
        """Stream ``clip`` (any WAV, made 16 kHz mono, times ``gain``) next, then a second
        of silence."""
        pcm = read_wav(clip).pcm
        if gain != 1.0:
            samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) * gain
            pcm = np.clip(samples, -32768, 32767).astype("<i2").tobytes()
        with self._lock:
            self._queued.append(pcm + bytes(2 * INTERNAL_FORMAT.rate))

    def chunks(self) -> Iterator[AudioChunk]:
        """One block every block time: what was played first, else silence."""
        size = 2 * (INTERNAL_FORMAT.rate * self.block_ms // 1000)
        offset, pending = 0, b""
        while not self._closed.wait(self.block_ms / 1000):
            if not pending:
                with self._lock:
                    pending = self._queued.pop(0) if self._queued else b""
            data, pending = pending[:size].ljust(size, b"\0"), pending[size:]
            yield AudioChunk(data, INTERNAL_FORMAT, offset)
            offset += size // 2

    def close(self) -> None:
        """Stop streaming."""
        self._closed.set()


class ServiceThread:
    """A :class:`VoiceService` run in a thread of its own: ``with`` starts it and waits for
    it to be idle, and stops it (the thread must end)."""

    def __init__(self, service: VoiceService) -> None:
        self.service = service
        self.thread = threading.Thread(target=asyncio.run, args=(service.run(),), daemon=True)

    def __enter__(self) -> VoiceService:
        self.thread.start()
        wait_until(lambda: self.service.state == "idle", 20, "the service to start")
        return self.service

    def __exit__(self, *exc: object) -> None:
        self.service.stop()
        self.thread.join(30)
        assert not self.thread.is_alive()
