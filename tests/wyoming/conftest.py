"""A real edge-os Wyoming server on a free loopback port, with the suite's loaded models."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from wyoming.info import Info

from edge_os.config.settings import Config
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.stt.whisper import WhisperSpeechToText
from edge_os.tts.piper_voice import PiperTextToSpeech
from edge_os.wyoming.engines import Engines
from edge_os.wyoming.framing import Limits
from edge_os.wyoming.info import build_info
from edge_os.wyoming.server import WyomingServer
from tests.conftest import REPO
from tests.service.conftest import broker, service_config
from tests.stt.conftest import tiny_model_dir, tiny_stt
from tests.tts.conftest import piper

__all__ = ["broker", "piper", "tiny_model_dir", "tiny_stt"]  # the suite's fixtures, reused


@dataclass
class RunningServer:
    """A server running on its own event loop in a thread."""

    port: int
    engines: Engines
    config: Config
    thread: threading.Thread


@contextmanager
def serve(engines: Engines, info: Info, limits: Limits | None = None) -> Iterator[RunningServer]:
    """Run a :class:`WyomingServer` on 127.0.0.1, a free port, until the block ends."""
    loop = asyncio.new_event_loop()
    server = WyomingServer(engines, info, limits=limits)
    started: list[int] = []
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        started.append(loop.run_until_complete(server.start("127.0.0.1", 0)))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="wyoming-server", daemon=True)
    thread.start()
    assert ready.wait(10), "the server did not start"
    try:
        yield RunningServer(started[0], engines, engines.config, thread)
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="module")
def wyoming_config(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The example home on this module's Mosquitto, state in a temporary folder."""
    return service_config(broker, tmp_path_factory.mktemp("wyoming-state"))


@pytest.fixture(scope="module")
def bare_server(wyoming_config: Config) -> Iterator[RunningServer]:
    """A server that has loaded nothing yet: every engine comes from the config on first use."""
    engines = Engines(wyoming_config, llm=False)
    try:
        with serve(engines, build_info(wyoming_config)) as running:
            yield running
    finally:
        engines.close()


@pytest.fixture(scope="module")
def server(
    wyoming_config: Config, tiny_stt: WhisperSpeechToText, piper: PiperTextToSpeech
) -> Iterator[RunningServer]:
    """A server with the suite's Whisper and Piper; wake word and commands load from config."""
    engines = Engines(wyoming_config, llm=False, stt=tiny_stt, voice=piper)
    try:
        with serve(engines, build_info(wyoming_config)) as running:
            yield running
    finally:
        engines.close()


@pytest.fixture(scope="session")
def demo_wav() -> Path:
    """The README's demo recording: "Hey Jarvis." then "Turn on the kitchen light."."""
    return REPO / "audio" / "samples" / "hey-jarvis-turn-on-the-kitchen-light.wav"
