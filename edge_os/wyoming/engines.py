"""edge-os's own stages as the Wyoming server uses them, each loaded on first use.

``describe`` loads nothing; the first ``transcribe`` loads Whisper, the first
``synthesize`` the voice, the first ``detect`` a wake-word detector, the first
``recognize`` or ``transcript`` the whole command path (:func:`open_assistant` without
microphone or speaker). Every method blocks: the server calls them in worker threads.
One engine serves one request at a time (a lock each), as on the device itself.

The command path talks to MQTT under a client id and queue of its own
(``<client id>-wyoming``, ``<queue>-wyoming``), so it never knocks a running
``edge-os run`` off the broker nor takes commands from its queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

from edge_os.audio.format import AudioChunk
from edge_os.config.settings import Config
from edge_os.stages.events import Event as PipelineEvent
from edge_os.stages.protocols import (
    IntentResult,
    SpeechToText,
    TextToSpeech,
    Transcript,
    WakeWordDetector,
)

if TYPE_CHECKING:
    from edge_os.pipeline.assistant import Assistant
    from edge_os.pipeline.command import CommandReport

_LOGGER = logging.getLogger(__name__)

SOURCE = "wyoming"
"""The command source of everything the server carries out (see ``sensitive_sources``)."""

WakeFactory = Callable[[], WakeWordDetector]


def wyoming_config(config: Config) -> Config:
    """``config`` with an MQTT client id and command queue of the server's own."""
    from edge_os.drivers.mqtt.driver import service_client_id

    queue = config.mqtt.queue_dir or config.state_dir / "queue"
    mqtt = config.mqtt.model_copy(
        update={
            "client_id": f"{service_client_id(config)}-wyoming",
            "queue_dir": queue.with_name(f"{queue.name}-wyoming"),
            "announce_availability": False,  # the service's entities are not its to mark away
        }
    )
    return config.model_copy(update={"mqtt": mqtt})


class Engines:
    """STT, TTS, wake word and the command path, loaded lazily and shared by connections.

    Tests pass already loaded engines (``stt``, ``voice``, ``wake_factory``,
    ``assistant``); the server loads them from ``config``.
    """

    def __init__(
        self,
        config: Config,
        *,
        llm: bool = True,
        stt: SpeechToText | None = None,
        voice: TextToSpeech | None = None,
        wake_factory: WakeFactory | None = None,
        assistant: Assistant | None = None,
    ) -> None:
        self.config = config
        self.llm = llm
        self._stt = stt
        self._voice = voice
        self._wake_factory = wake_factory
        self._assistant = assistant
        self._idle_wake: list[WakeWordDetector] = []
        self._stack = ExitStack()
        self._locks = {name: threading.Lock() for name in ("stt", "tts", "wake", "command")}
        self._load_lock = threading.Lock()

    # speech-to-text
    def transcribe(self, audio: AudioChunk) -> Transcript:
        """Text of one command (16 kHz mono 16-bit)."""
        with self._locks["stt"]:
            if self._stt is None:
                from edge_os.devices.registry import DeviceRegistry
                from edge_os.stt.whisper import create_stt

                self._stt = create_stt(self.config, DeviceRegistry.from_config(self.config))
            return self._stt.transcribe(audio)

    # text-to-speech
    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        """Audio of ``text``, one chunk per sentence in the voice's own format.

        Iterate it in a worker thread: each step synthesizes one sentence.
        """
        with self._locks["tts"]:
            if self._voice is None:
                from edge_os.tts.factory import create_tts

                settings = self.config
                self._voice = create_tts(
                    settings.tts,
                    state_dir=settings.state_dir,
                    provider=settings.runtime.execution_provider,
                )
            voice = self._voice
        sentences = voice.synthesize(text)
        while True:
            with self._locks["tts"]:
                chunk = next(sentences, None)
            if chunk is None:
                return
            yield chunk

    # wake word
    def take_wake(self) -> WakeWordDetector:
        """A wake-word detector of the caller's own, fresh (one per audio stream)."""
        with self._locks["wake"]:
            if self._idle_wake:
                return self._idle_wake.pop()
            if self._wake_factory is None:
                self._wake_factory = self._load_wake_factory()
            factory = self._wake_factory
        return factory()

    def give_back_wake(self, detector: WakeWordDetector) -> None:
        """Return a detector from :meth:`take_wake` for the next stream to reuse."""
        detector.reset()
        with self._locks["wake"]:
            self._idle_wake.append(detector)

    def _load_wake_factory(self) -> WakeFactory:
        from edge_os.wake.models import resolve, with_int8
        from edge_os.wake.openwakeword import OpenWakeWord

        settings = self.config.wake
        files = resolve(list(settings.models))
        if settings.int8:
            files = with_int8(files, self.config.state_dir)

        def factory() -> WakeWordDetector:
            return OpenWakeWord(
                files,
                threshold=settings.threshold,
                patience_frames=settings.patience_frames,
                refractory_seconds=settings.refractory_seconds,
                threads=settings.threads,
                provider=self.config.runtime.execution_provider,
            )

        return factory

    # intents and commands
    def recognize(self, text: str) -> IntentResult:
        """What ``text`` asks for, acting on nothing."""
        assistant = self._loaded_assistant()
        with self._locks["command"]:
            return assistant.command.recognizer.recognize(text, area=assistant.command.area)

    def handle(self, text: str) -> tuple[CommandReport, list[PipelineEvent]]:
        """Carry ``text`` out through edge-os's command path, from the ``wyoming`` source."""
        assistant = self._loaded_assistant()
        events: list[PipelineEvent] = []
        with self._locks["command"]:
            report = assistant.command.handle_text(text, events.append, source=SOURCE)
        for event in events:
            _LOGGER.info("wyoming %s", event.to_json())
        return report, events

    def _loaded_assistant(self) -> Assistant:
        with self._load_lock:
            if self._assistant is None:
                from edge_os.pipeline.assistant import open_assistant

                self._assistant = self._stack.enter_context(
                    open_assistant(
                        wyoming_config(self.config), listen=False, speak=False, llm=self.llm
                    )
                )
            return self._assistant

    def close(self) -> None:
        """Disconnect what was loaded here (not what the caller passed in)."""
        self._stack.close()
