"""The service: one asyncio loop drives microphone -> ... -> speaker, forever.

The loop owns all state. Audio is read in its own thread and handed over through a
bounded queue; the front end (wake word, VAD) runs in one worker thread and commands
(STT, intent, action, answer) in another, so a long answer never stops listening: a new
wake word during playback interrupts it (barge-in). Events from any thread come back to
the loop, which counts them, hands them to its listeners and keeps the status current. A
stage that fails is an error event and the loop goes on; SIGTERM lets the current command
finish before the drivers close (the command queue is on disk all along).

The other ways in and the status adapters are their own modules, each holding the loop as
a :class:`~edge_os.service.core.ServiceCore`: :class:`~edge_os.service.ways.MqttWay` (the
control API, Hermes, publishing, Home Assistant discovery),
:class:`~edge_os.service.ways.LocalWay` (``edge-os say``),
:class:`~edge_os.service.schedule.ScheduleRunner` (timers and delayed commands, checked
every ``schedule_seconds``), :class:`~edge_os.service.wakeword.WakeWordSwitch` and
:mod:`~edge_os.service.status` (``status.json``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_os.audio.format import AudioChunk
from edge_os.audio.sources import AudioSource
from edge_os.pipeline.assistant import Assistant
from edge_os.pipeline.frontend import PausedSpeech
from edge_os.pipeline.speculate import Speculator
from edge_os.service.core import CommandHandle
from edge_os.service.hub import HubWay
from edge_os.service.metrics import Metrics
from edge_os.service.notify import SystemdNotifier
from edge_os.service.schedule import ScheduleRunner
from edge_os.service.sites import WakeContest
from edge_os.service.status import status, write_status
from edge_os.service.wakeword import WakeWordSwitch
from edge_os.service.ways import LocalWay, MqttWay
from edge_os.service.worker import CommandWorker
from edge_os.stages.events import (
    AnswerReady,
    CommandTimed,
    ErrorEvent,
    Event,
    NoSpeech,
    SpeechEnded,
    WakeDetected,
)

if TYPE_CHECKING:
    from edge_os.drivers.mqtt.connection import Inbound

_LOGGER = logging.getLogger(__name__)

AUDIO_QUEUE_BLOCKS = 64
"""Blocks buffered between the audio thread and the loop (about 5 s at 80 ms)."""
TICK_SECONDS = 2.0
"""How often the watchdog is pinged and the status file written."""
STOP_SECONDS = 25.0
"""How long a stop waits for queued commands (systemd's TimeoutStopSec is 30)."""
METRICS_SECONDS = 60.0
"""How often metrics are published on MQTT."""
SCHEDULE_SECONDS = 0.5
"""How often due timers and delayed commands are looked for (their precision)."""


def _contest(assistant: Assistant) -> WakeContest | None:
    """A ``full`` site on a broker others may share takes part in wake-word arbitration."""
    config = assistant.config
    site = config.site
    mqtt = assistant.mqtt
    if site.role != "full" or mqtt is None or config.mqtt.host is None:
        return None  # a hub hears nothing; edge-os's own broker is private to it
    if site.arbitration_seconds <= 0:
        return None
    connection = mqtt.connection
    return WakeContest(
        config.mqtt.topic_prefix,
        site.id,
        site.arbitration_group,
        site.arbitration_seconds,
        lambda topic, payload: connection.publish(topic, payload, qos=1),
    )


class VoiceService:
    """Runs the voice loop of one :class:`Assistant` over one audio source."""

    def __init__(
        self,
        assistant: Assistant,
        source: AudioSource,
        *,
        notifier: SystemdNotifier | None = None,
        status_path: Path | None = None,
        on_event: Callable[[Event], None] | None = None,
        tick_seconds: float = TICK_SECONDS,
        schedule_seconds: float = SCHEDULE_SECONDS,
    ) -> None:
        self.assistant = assistant
        self.source = source
        self.notifier = notifier or SystemdNotifier()
        self.status_path = status_path
        self.metrics = Metrics()
        self.state = "starting"
        self.muted = assistant.config.audio.output.muted
        self.volume = assistant.config.audio.output.volume_percent
        self.closing = False
        self._on_event = on_event
        self._tick_seconds = tick_seconds
        self._schedule_seconds = schedule_seconds
        self._started = time.time()
        self._offset = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._frontend_pool = ThreadPoolExecutor(1, thread_name_prefix="edge-os-frontend")
        self._commands = CommandWorker(assistant.config.intent.command_timeout_seconds)
        self._pending_commands = 0
        speculative = assistant.config.stt.speculative and assistant.frontend is not None
        self.speculator = Speculator(assistant.command.transcribe) if speculative else None
        """Transcribes each command at its first pause (``stt.speculative``; not on a hub,
        which hears no microphone)."""
        self.schedule = ScheduleRunner(self, assistant.command)
        self.wake = WakeWordSwitch(self)
        self.mqtt = MqttWay(self, self.schedule, self.wake) if assistant.mqtt else None
        """The MQTT control API, Hermes and Home Assistant (None without a broker)."""
        self.local = LocalWay(self, self.mqtt)
        """``edge-os say`` on this machine."""
        self.hub = HubWay(self) if assistant.config.site.role == "hub" else None
        """The satellites' commands (``site.role: hub``)."""
        self.contest = _contest(assistant) if source.live else None
        """Wake-word arbitration with the other sites on a shared broker (None: alone)."""
        self.stood_down = 0
        """Wake words another site heard better (it handled them)."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The running event loop (None outside :meth:`run`)."""
        return self._loop

    # --- control, callable from the loop -------------------------------------------------

    def set_muted(self, muted: bool) -> None:
        """Mute the microphone (audio is dropped) and the speaker."""
        self.muted = muted
        player = self.assistant.player
        if player is not None:
            player.set_muted(muted)
        self._set_state("muted" if muted else "idle")

    def set_volume(self, percent: int) -> None:
        """Set the playback volume, 0-100."""
        self.volume = percent
        player = self.assistant.player
        if player is not None:
            player.set_volume(percent)
        self._publish_state()

    def push_to_talk(self) -> None:
        """Start listening for a command without the wake word (thread-safe)."""
        if not self.closing:
            # from the audio heard when it was asked, not when the front end gets to it:
            # blocks already queued behind it would otherwise lose the command's first words
            self._frontend_pool.submit(self._frontend_listen, offset=self._offset)

    def stop(self) -> None:
        """Ask the loop to finish (thread-safe)."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    # --- the loop ------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until :meth:`stop`, SIGTERM/SIGINT, or the end of a finite source."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            # Only the main thread may install handlers (not so in tests); stop() still works.
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                self._loop.add_signal_handler(sig, self._stop.set)
        chunks: asyncio.Queue[AudioChunk | None] = asyncio.Queue(AUDIO_QUEUE_BLOCKS)
        reader = threading.Thread(
            target=self._read_audio, args=(chunks,), name="edge-os-audio", daemon=True
        )
        if self.assistant.frontend is not None:
            self.assistant.frontend.reset()  # a new stream starts at offset 0
        if self.mqtt is not None:
            self.mqtt.start(self._loop)
        if self.hub is not None:
            self.hub.start()
        if self.contest is not None and self.assistant.mqtt is not None:
            contest = self.contest

            def heard(message: Inbound) -> None:
                contest.heard_claim(message.payload)

            self.assistant.mqtt.connection.subscribe_inbound(contest.claims_filter, heard)
        await self.local.start()
        self.wake.start()
        reader.start()
        ticker = asyncio.create_task(self._tick())
        scheduler = asyncio.create_task(self._run_schedule())
        self._set_state("idle")
        self.notifier.ready(f"listening for {', '.join(self.assistant.config.wake.models)}")
        try:
            await self._consume(chunks)
        finally:
            await self.local.stop()
            scheduler.cancel()
            self.notifier.stopping()
            self._set_state("stopping")
            self.closing = True
            self.source.close()
            await self._loop.run_in_executor(None, self._drain_pools)
            for _ in range(3):  # let events handed over by the workers reach the loop
                await asyncio.sleep(0)
            ticker.cancel()
            if self.mqtt is not None:
                self.mqtt.stop()
            self._write_status()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    self._loop.remove_signal_handler(sig)

    async def _consume(self, chunks: asyncio.Queue[AudioChunk | None]) -> None:
        assert self._loop is not None and self._stop is not None
        stop_wait = asyncio.create_task(self._stop.wait())
        try:
            while not self._stop.is_set():
                getter = asyncio.create_task(chunks.get())
                done, _ = await asyncio.wait(
                    {getter, stop_wait}, return_when=asyncio.FIRST_COMPLETED
                )
                if getter not in done:
                    getter.cancel()
                    break
                chunk = getter.result()
                if chunk is None:
                    break  # a finite source ended
                self._offset = chunk.end
                if self.muted:
                    continue
                if self.contest is not None:
                    self.contest.audio(chunk)
                outputs = await self._loop.run_in_executor(
                    self._frontend_pool, self._process, chunk
                )
                for item in outputs:
                    if isinstance(item, PausedSpeech):
                        if self.speculator is not None:
                            self.speculator.paused(item.audio)
                    elif isinstance(item, AudioChunk):
                        self._submit_audio(item)
                    else:
                        self.emit(item)
        finally:
            stop_wait.cancel()

    def _process(self, chunk: AudioChunk) -> list[Any]:
        frontend = self.assistant.frontend
        assert frontend is not None
        try:
            return list(frontend.process(chunk))
        except Exception as err:  # one bad block must not end the service
            _LOGGER.exception("front end failed")
            frontend.reset()
            return [ErrorEvent(stage="frontend", code="wake-failed", message=str(err))]

    def _read_audio(self, chunks: asyncio.Queue[AudioChunk | None]) -> None:
        """Audio thread: put blocks into the loop's queue, waiting when it is full."""
        assert self._loop is not None
        try:
            for chunk in self.source.chunks():
                if self._stop is not None and self._stop.is_set():
                    return
                future = asyncio.run_coroutine_threadsafe(chunks.put(chunk), self._loop)
                future.result()
        except Exception as err:
            _LOGGER.exception("audio source failed")
            self.threadsafe(self.emit)(
                ErrorEvent(stage="audio", code="audio-device", message=str(err))
            )
        finally:
            if not self._loop.is_closed():
                asyncio.run_coroutine_threadsafe(chunks.put(None), self._loop)

    # --- commands (worker thread) ----------------------------------------------------------

    def _submit_audio(self, audio: AudioChunk) -> None:
        contest = self.contest
        if contest is not None and self._loop is not None:
            left = contest.left_seconds()
            if left > 0:  # the other sites' claims may still come
                self._loop.call_later(left, self._submit_audio, audio)
                return
            if not contest.won():
                self.stood_down += 1
                _LOGGER.info("site %s heard the wake word better: standing down",
                             contest.last_winner)  # fmt: skip
                contest.claim = None
                self._set_state("idle")
                return
            contest.claim = None
        self._earcon("listening-end")
        heard = self.speculator.take(audio) if self.speculator is not None else None
        self.submit(partial(self.assistant.command.handle_audio, heard=heard), audio)

    def submit(self, handle: CommandHandle, payload: Any) -> None:
        """Queue ``handle(payload, emit)`` on the command worker, in turn with the others."""
        self._pending_commands += 1
        self._set_state("thinking")
        self._commands.submit(self._guard, handle, payload)

    def submit_job(self, job: Callable[[], None]) -> None:
        """Queue a command handled its own way; ``job`` calls :meth:`command_done`."""
        self._pending_commands += 1
        self._set_state("thinking")
        self._commands.submit(job)

    def play(self, job: Callable[[], object]) -> None:
        """Queue speech or a sound on the worker, between commands."""
        self._commands.submit(job)

    def in_frontend(self, job: Callable[[], None]) -> None:
        """Run ``job`` in the front end's thread, between two audio blocks."""
        self._frontend_pool.submit(job)

    def _earcon(self, name: str) -> None:
        """Queue a short sound (wake, listening-end, error) in front of the next command."""
        player = self.assistant.player
        if player is None or not self.assistant.config.audio.output.earcons or self.closing:
            return
        from edge_os.tts.earcons import Earcon, earcon_audio

        self.play(partial(player.play, earcon_audio(Earcon(name))))

    def _guard(self, handle: CommandHandle, payload: Any) -> None:
        emit = self.threadsafe(self.emit)
        try:
            report = handle(payload, emit)
            emit(CommandTimed(stage_ms={k: round(v, 1) for k, v in report.stage_ms.items()}))
        except Exception as err:
            _LOGGER.exception("command failed")
            emit(ErrorEvent(stage="command", code="intent-failed", message=str(err)))
        finally:
            self.threadsafe(self.command_done)()

    def command_done(self) -> None:
        """One command finished: listen for a follow-up, back to idle when none wait."""
        self._pending_commands = max(0, self._pending_commands - 1)
        follow_up = self.assistant.config.intent.follow_up_seconds
        if follow_up > 0 and not self.muted and not self.closing:
            self._frontend_pool.submit(partial(self._frontend_listen, follow_up=True))
        if self._pending_commands == 0 and self.state == "thinking":
            self._set_state("idle")

    def _frontend_listen(self, follow_up: bool = False, offset: int | None = None) -> None:
        if self.assistant.frontend is not None:
            at = self._offset if offset is None else offset
            self.assistant.frontend.listen(at, follow_up=follow_up)

    # --- events, status ------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        """Handle one event in the loop thread: count, publish, update state."""
        self.metrics.record_event(event)
        if isinstance(event, WakeDetected):
            if self.contest is not None:
                self.contest.woke(event.score)
            player = self.assistant.player
            if player is not None and player.playing:
                player.stop()  # barge-in: the new wake word interrupts speech
            self._earcon("wake")
            self._set_state("listening")
        elif isinstance(event, (NoSpeech, AnswerReady)) and self._pending_commands == 0:
            self._set_state("idle")
        elif isinstance(event, SpeechEnded):
            self._set_state("thinking")
        elif isinstance(event, ErrorEvent):
            self._earcon("error")
        elif isinstance(event, CommandTimed):
            for stage, ms in event.stage_ms.items():
                self.metrics.record_latency(stage, ms)
        if self.mqtt is not None:
            self.mqtt.publish_event(event)
        if self._on_event is not None:
            self._on_event(event)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.notifier.status(state)
            self._publish_state()

    def _publish_state(self) -> None:
        if self.mqtt is not None:
            self.mqtt.publish_state(self.state, self.muted, self.volume)

    def status(self) -> dict[str, Any]:
        """What ``edge-os status`` shows."""
        return status(
            state=self.state,
            muted=self.muted,
            volume=self.volume,
            started=self._started,
            stream_samples=self._offset,
            load_ms=self.assistant.load_ms,
            metrics=self.metrics,
            speculative=self.speculator.counts() if self.speculator is not None else None,
            satellites=self.hub.status() if self.hub is not None else None,
        )

    def _write_status(self) -> None:
        if self.status_path is not None:
            write_status(self.status_path, self.status())

    async def _tick(self) -> None:
        last_metrics = time.monotonic()
        while True:
            self.notifier.watchdog()
            if self._commands.check():
                self._pending_commands = max(0, self._pending_commands - 1)
                timeout = self._commands.timeout_seconds
                self.emit(
                    ErrorEvent(
                        stage="command",
                        code="stage-timeout",
                        message=f"a command ran over {timeout:.0f} s and was abandoned",
                    )
                )
                if self._pending_commands == 0:
                    self._set_state("idle")
            self.assistant.unload_idle()
            self._write_status()
            if self.mqtt is not None and time.monotonic() - last_metrics >= METRICS_SECONDS:
                last_metrics = time.monotonic()
                self.mqtt.publish_metrics(self.metrics.snapshot())
            await asyncio.sleep(self._tick_seconds)

    async def _run_schedule(self) -> None:
        while True:
            self.schedule.check()
            await asyncio.sleep(self._schedule_seconds)

    def _drain_pools(self) -> None:
        self._frontend_pool.shutdown(wait=True)
        if self.speculator is not None:
            self.speculator.close()
        self._commands.close(STOP_SECONDS)

    def threadsafe(self, function: Callable[..., None]) -> Callable[..., None]:
        """``function`` called in the loop thread, whatever thread calls the wrapper."""

        def call(*args: Any) -> None:
            loop = self._loop
            if loop is None or loop.is_closed():
                function(*args)
            else:
                loop.call_soon_threadsafe(function, *args)

        return call
