"""The service: one asyncio loop drives microphone -> ... -> speaker, forever.

The loop owns all state. Audio is read in its own thread and handed over through a
bounded queue; the front end (wake word, VAD) runs in one worker thread and commands
(STT, intent, action, answer) in another, so a long answer never stops listening: a new
wake word during playback interrupts it (barge-in). Events from any thread come back to
the loop, which counts them, publishes them on MQTT and keeps the status current. A stage
that fails is an error event and the loop goes on; SIGTERM lets the current command
finish before the drivers close (the command queue is on disk all along).

Timers and delayed commands fire from the loop too: every ``schedule_seconds`` it takes
the due ones from the durable timer table and queues each on the command worker like a
spoken command (a delayed command runs through :meth:`CommandPipeline.handle_timer`, so
the same dispatcher and confirmation rules apply; a plain timer says "The pizza timer is
done."), publishes a ``timer-finished`` event, and republishes the retained schedule
whenever it changed. Jobs too late to run (edge-os was down) are dropped with an event.

Home Assistant: the service announces its entities via MQTT discovery and, when asked to,
imports the devices others announce (:class:`~edge_os.service.homeassistant.HomeAssistantLink`);
the wake-word select swaps the front end's detector (loaded in a worker thread, swapped in
the front end's own thread, between two blocks).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from edge_os.action.mqtt import DeliveryReport
from edge_os.action.queue import CommandState
from edge_os.audio.format import SAMPLE_RATE, AudioChunk
from edge_os.audio.sources import AudioSource
from edge_os.errors import EdgeOSError
from edge_os.pipeline.assistant import Assistant
from edge_os.pipeline.command import timer_finished
from edge_os.service.control import ControlHandlers, MqttControl
from edge_os.service.homeassistant import HomeAssistantLink, WakeWordSetting
from edge_os.service.inbox import ControlInbox, Ticket
from edge_os.service.local import LocalControl, LocalRequest, socket_path
from edge_os.service.metrics import Metrics
from edge_os.service.notify import SystemdNotifier
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

_LOGGER = logging.getLogger(__name__)

AUDIO_QUEUE_BLOCKS = 64
"""Blocks buffered between the audio thread and the loop (about 5 s at 80 ms)."""
TICK_SECONDS = 2.0
STOP_SECONDS = 25.0
"""How long a stop waits for queued commands (systemd's TimeoutStopSec is 30)."""
"""How often the watchdog is pinged and the status file written."""
METRICS_SECONDS = 60.0
"""How often metrics are published on MQTT."""
SCHEDULE_SECONDS = 0.5
"""How often due timers and delayed commands are looked for (their precision)."""


def rss_mb() -> float:
    """Resident memory of this process in MiB (from /proc, 0 where unavailable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


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
        self._on_event = on_event
        self._tick_seconds = tick_seconds
        self._schedule_seconds = schedule_seconds
        self._schedule_published: str | None = None
        self._started = time.time()
        self._offset = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._frontend_pool = ThreadPoolExecutor(1, thread_name_prefix="edge-os-frontend")
        self._commands = CommandWorker(assistant.config.intent.command_timeout_seconds)
        self._pending_commands = 0
        self._closing = False
        self.control: MqttControl | None = None
        self.local = LocalControl(socket_path(assistant.config.state_dir), self._local_command)
        """``<state_dir>/control.sock``: where ``edge-os say`` hands over its text."""
        self.homeassistant: HomeAssistantLink | None = None
        self.wake_setting = WakeWordSetting(assistant.config)
        self.wake_word = self.wake_setting.options[0]
        """The wake word the front end listens for (the select's state)."""
        self._wake_requested = self.wake_setting.chosen
        if assistant.mqtt is not None:
            from edge_os.action.discovery import own_topics

            self.control = MqttControl(
                assistant.mqtt.connection,
                own_topics(assistant.config),
                assistant.config.site.id,
                ControlHandlers(
                    command=self._threadsafe(self._submit_text),
                    say=self._threadsafe(self._submit_say),
                    mute=self._threadsafe(self.set_muted),
                    volume=self._threadsafe(self.set_volume),
                    schedule_list=self._threadsafe(self.publish_schedule),
                    schedule_cancel=self._threadsafe(self.cancel_job),
                    wake_word=(
                        self._threadsafe(self.set_wake_word)
                        if assistant.frontend is not None
                        else None
                    ),
                ),
                inbox=ControlInbox.open(assistant.config),
            )
            self.homeassistant = HomeAssistantLink(assistant)
            assistant.mqtt.add_listener(self._threadsafe(self._delivery_ended))

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

    def set_wake_word(self, name: str) -> None:
        """Listen for ``name`` only (Home Assistant's wake-word select); kept across restarts."""
        if not self.wake_setting.valid(name):
            options = ", ".join(self.wake_setting.options)
            _LOGGER.warning("ignoring unknown wake word %r (expected one of: %s)", name, options)
            self._publish_wake_word()  # Home Assistant shows the word still listened for
            return
        if name == self.wake_setting.chosen or self._loop is None:
            self._publish_wake_word()
            return
        self._wake_requested = name  # of quick changes in a row, the last one wins
        self._loop.run_in_executor(None, self._load_wake_word, name)

    def _load_wake_word(self, name: str) -> None:
        """Worker thread: load the detector, then swap it in from the front end's thread."""
        try:
            detector = self.wake_setting.detector(name)
        except EdgeOSError as err:
            _LOGGER.error("cannot listen for %s: %s", name, err)
            self._threadsafe(self._publish_wake_word)()
            return
        except Exception:  # an onnxruntime failure: keep the word listened for
            _LOGGER.exception("cannot load the wake word %s", name)
            self._threadsafe(self._publish_wake_word)()
            return
        frontend = self.assistant.frontend
        assert frontend is not None  # the handler exists only with a front end

        def swap() -> None:
            if self._wake_requested != name:
                return  # another word was asked for meanwhile
            frontend.wake = detector
            self._threadsafe(self._wake_word_changed)(name)

        if not self._closing:
            with contextlib.suppress(RuntimeError):  # the service stopped meanwhile
                self._frontend_pool.submit(swap)

    def _wake_word_changed(self, name: str) -> None:
        self.wake_setting.choose(name)
        self.wake_word = name
        _LOGGER.info("listening for the wake word %s", name)
        self._publish_wake_word()

    def _publish_wake_word(self) -> None:
        if self.control is not None:
            try:
                self.control.publish_wake_word(self.wake_word)
            except Exception:
                _LOGGER.exception("cannot publish the wake word")

    def cancel_job(self, job_id: int) -> None:
        """Cancel a timer or delayed command by id (MQTT ``schedule/cancel``)."""
        try:
            cancelled = self.assistant.command.timers.cancel_id(job_id)
        except EdgeOSError as err:
            _LOGGER.warning("cannot cancel job %d: %s", job_id, err)
            return
        if cancelled:
            _LOGGER.info("cancelled job %d", job_id)
        else:
            _LOGGER.warning("no job %d to cancel", job_id)
        self.publish_schedule()

    def publish_schedule(self) -> None:
        """Publish the schedule on MQTT now, changed or not."""
        self._schedule_published = None
        self.check_schedule()

    def check_schedule(self) -> None:
        """Fire the due timers and delayed commands; publish the schedule if it changed."""
        if self._closing:
            return
        command = self.assistant.command
        try:
            due = command.timers.take_due()
            jobs = command.timers.snapshot()
        except EdgeOSError as err:  # a locked or broken file must not stop the loop
            _LOGGER.warning("timer table: %s", err)
            return
        for timer, late in due.expired:
            self._event(timer_finished(timer, late, expired=True))
        for timer, late in due.run:
            self._pending_commands += 1
            handle = partial(command.handle_timer, late_seconds=late)
            self._commands.submit(self._guard, handle, timer)
        text = json.dumps(jobs, sort_keys=True)
        if self.control is not None and text != self._schedule_published:
            try:
                self.control.publish_schedule(jobs)
                self._schedule_published = text
            except Exception:  # MQTT trouble must not stop the loop
                _LOGGER.exception("cannot publish the schedule")

    def push_to_talk(self) -> None:
        """Start listening for a command without the wake word (thread-safe)."""
        if not self._closing:
            self._frontend_pool.submit(self._frontend_listen)

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
        if self.control is not None:
            self.control.start()
        if self.homeassistant is not None:
            self.homeassistant.start(self._loop)
        await self.local.start()
        self._publish_wake_word()
        chosen = self.wake_setting.chosen
        if chosen is not None and self.assistant.frontend is not None:
            if self.wake_setting.loaded_at_start(chosen):
                self._wake_word_changed(chosen)
            else:
                self._loop.run_in_executor(None, self._load_wake_word, chosen)
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
            self._closing = True
            self.source.close()
            await self._loop.run_in_executor(None, self._drain_pools)
            for _ in range(3):  # let events handed over by the workers reach the loop
                await asyncio.sleep(0)
            ticker.cancel()
            if self.homeassistant is not None:
                self.homeassistant.stop()
            if self.control is not None:
                self.control.stop()
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
                outputs = await self._loop.run_in_executor(
                    self._frontend_pool, self._process, chunk
                )
                for item in outputs:
                    if isinstance(item, AudioChunk):
                        self._submit_audio(item)
                    else:
                        self._event(item)
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
            self._threadsafe(self._event)(
                ErrorEvent(stage="audio", code="audio-device", message=str(err))
            )
        finally:
            if not self._loop.is_closed():
                asyncio.run_coroutine_threadsafe(chunks.put(None), self._loop)

    # --- commands (worker thread) ----------------------------------------------------------

    def _submit_audio(self, audio: AudioChunk) -> None:
        self._pending_commands += 1
        self._set_state("thinking")
        self._earcon("listening-end")
        self._commands.submit(self._guard, self.assistant.command.handle_audio, audio)

    def _earcon(self, name: str) -> None:
        """Queue a short sound (wake, listening-end, error) in front of the next command."""
        player = self.assistant.player
        if player is None or not self.assistant.config.audio.output.earcons or self._closing:
            return
        from edge_os.tts.earcons import Earcon, earcon_audio

        self._commands.submit(player.play, earcon_audio(Earcon(name)))

    def _submit_text(self, text: str, ticket: Ticket | None = None) -> None:
        self._pending_commands += 1
        self._set_state("thinking")
        if self.control is not None:
            try:
                self.control.publish_last_command(text)
            except Exception:  # MQTT trouble must not stop the loop
                _LOGGER.exception("cannot publish the last command")
        handle = partial(self.assistant.command.handle_text, source="mqtt")
        self._commands.submit(self._guard, handle if ticket is None else ticket.wrap(handle), text)

    async def _local_command(self, request: LocalRequest) -> dict[str, Any]:
        """A command typed on this machine (``edge-os say``), in turn with the others."""
        from edge_os.pipeline.text import run_text

        loop = asyncio.get_running_loop()
        answer: asyncio.Future[dict[str, Any]] = loop.create_future()
        emit = self._threadsafe(self._event)

        def settle(outcome: dict[str, Any] | BaseException) -> None:
            if answer.done():
                return  # the caller gave up waiting
            if isinstance(outcome, BaseException):
                answer.set_exception(outcome)
            else:
                answer.set_result(outcome)

        def job() -> None:
            outcome: dict[str, Any] | BaseException
            try:
                outcome = run_text(
                    self.assistant.command, request.text, emit, area=request.area, yes=request.yes
                )
            except Exception as err:  # handed to the caller, who reports it
                outcome = err
            finally:
                self._threadsafe(self._command_done)()
            loop.call_soon_threadsafe(settle, outcome)

        self._pending_commands += 1
        self._set_state("thinking")
        if self.control is not None:
            try:
                self.control.publish_last_command(request.text)
            except Exception:  # MQTT trouble must not stop the loop
                _LOGGER.exception("cannot publish the last command")
        self._commands.submit(job)
        return await answer

    def _delivery_ended(self, report: DeliveryReport) -> None:
        if report.state is CommandState.STALE:
            command = report.command
            message = f"a command for {command.entity_id} on {command.topic} was {report.reason}"
            self._event(ErrorEvent(stage="action", code="command-expired", message=message))

    def _submit_say(self, text: str, request_id: str | None) -> None:
        self._commands.submit(self._say, text, request_id)

    def _guard(self, handle: Callable[..., Any], payload: Any) -> None:
        emit = self._threadsafe(self._event)
        try:
            report = handle(payload, emit)
            emit(CommandTimed(stage_ms={k: round(v, 1) for k, v in report.stage_ms.items()}))
        except Exception as err:
            _LOGGER.exception("command failed")
            emit(ErrorEvent(stage="command", code="intent-failed", message=str(err)))
        finally:
            self._threadsafe(self._command_done)()

    def _say(self, text: str, request_id: str | None) -> None:
        voice, player = self.assistant.voice, self.assistant.player
        if voice is not None and player is not None:
            player.play(voice.synthesize(text))
        if self.control is not None:
            self.control.say_finished(request_id)

    def _command_done(self) -> None:
        self._pending_commands = max(0, self._pending_commands - 1)
        follow_up = self.assistant.config.intent.follow_up_seconds
        if follow_up > 0 and not self.muted and not self._closing:
            self._frontend_pool.submit(self._frontend_listen)
        if self._pending_commands == 0 and self.state == "thinking":
            self._set_state("idle")

    def _frontend_listen(self) -> None:
        if self.assistant.frontend is not None:
            self.assistant.frontend.listen(self._offset)

    # --- events, status ------------------------------------------------------------------

    def _event(self, event: Event) -> None:
        """Handle one event in the loop thread: count, publish, update state."""
        self.metrics.record_event(event)
        if isinstance(event, WakeDetected):
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
        if self.control is not None:
            try:
                self.control.publish_event(event)
            except Exception:  # MQTT trouble must not stop the loop
                _LOGGER.exception("cannot publish %s", event.type)
        if self._on_event is not None:
            self._on_event(event)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.notifier.status(state)
            self._publish_state()

    def _publish_state(self) -> None:
        if self.control is not None:
            try:
                self.control.publish_state(self.state, muted=self.muted, volume=self.volume)
            except Exception:
                _LOGGER.exception("cannot publish the status")

    def status(self) -> dict[str, Any]:
        """What ``edge-os status`` shows."""
        return {
            "pid": os.getpid(),
            "state": self.state,
            "muted": self.muted,
            "volume": self.volume,
            "started": round(self._started, 3),
            "updated": round(time.time(), 3),
            "uptime_seconds": round(time.time() - self._started, 1),
            "rss_mb": rss_mb(),
            "stream_seconds": round(self._offset / SAMPLE_RATE, 1),
            "load_ms": self.assistant.load_ms,
            "metrics": self.metrics.snapshot(),
        }

    def _write_status(self) -> None:
        if self.status_path is None:
            return
        try:
            self.status_path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.status_path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.status()), encoding="utf-8")
            temporary.replace(self.status_path)
        except OSError as err:
            _LOGGER.warning("cannot write %s: %s", self.status_path, err)

    async def _tick(self) -> None:
        last_metrics = time.monotonic()
        while True:
            self.notifier.watchdog()
            if self._commands.check():
                self._pending_commands = max(0, self._pending_commands - 1)
                timeout = self._commands.timeout_seconds
                self._event(
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
            if self.control is not None and time.monotonic() - last_metrics >= METRICS_SECONDS:
                last_metrics = time.monotonic()
                self.control.publish_metrics(self.metrics.snapshot())
            await asyncio.sleep(self._tick_seconds)

    async def _run_schedule(self) -> None:
        while True:
            self.check_schedule()
            await asyncio.sleep(self._schedule_seconds)

    def _drain_pools(self) -> None:
        self._frontend_pool.shutdown(wait=True)
        self._commands.close(STOP_SECONDS)

    def _threadsafe(self, function: Callable[..., None]) -> Callable[..., None]:
        """``function`` called in the loop thread, whatever thread calls the wrapper."""

        def call(*args: Any) -> None:
            loop = self._loop
            if loop is None or loop.is_closed():
                function(*args)
            else:
                loop.call_soon_threadsafe(function, *args)

        return call
