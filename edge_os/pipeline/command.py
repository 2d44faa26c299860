"""One command through the back half of the loop: STT -> intent -> action -> answer -> TTS.

:class:`CommandPipeline` is fed the VAD-bounded audio of a command (or text injected over
MQTT or ``edge-os say``) and reports typed events with the time each stage took. A stage
that fails becomes an :class:`ErrorEvent` and the pipeline is ready for the next command.
Sensitive actions are held until the next command is a "yes" within the confirmation
window; answers are built from what truly happened.

Timers live in :attr:`CommandPipeline.timers`. When one comes due the service hands it to
:meth:`CommandPipeline.handle_timer`: a delayed command goes through the very path of a
spoken one (same recogniser, dispatcher, registry and confirmation rules: a sensitive
action asks and waits for a spoken "yes", it is never carried out silently; a delayed
command can never itself confirm an earlier question); a plain timer says it is done.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from edge_os.action.outcome import ActionOutcome, ActionRequest, OutcomeStatus
from edge_os.audio.format import AudioChunk
from edge_os.devices.registry import DeviceRegistry
from edge_os.errors import EdgeOSError, ErrorCode
from edge_os.pipeline.events import (
    ActionFinished,
    AnswerReady,
    CommandTimed,
    ErrorEvent,
    Event,
    IntentRecognized,
    TimerFinished,
    TranscriptReady,
)
from edge_os.pipeline.stages import IntentRecognizer, IntentResult, SpeechToText

if TYPE_CHECKING:
    from edge_os.action.dispatcher import Dispatcher
    from edge_os.intent.answer import TimerTable
    from edge_os.scheduler.store import Timer
    from edge_os.tts.factory import Voice
    from edge_os.tts.player import Player

_LOGGER = logging.getLogger(__name__)

Emit = Callable[[Event], None]


class FrontEndLike(Protocol):
    """What :func:`replay` needs of the front end (wake word and VAD)."""

    def process(self, chunk: AudioChunk) -> list[Event | AudioChunk]:
        """Events and, at speech-end, the command audio."""
        ...


Clock = Callable[[], float]
StateReader = Callable[[str], str | None]

YES = re.compile(r"^(yes|yeah|yep|sure|do it|confirm(ed)?|go ahead|ok(ay)?)( please)?$")


Source = str
"""Where a command came in: ``voice``, ``mqtt`` (control topic and Hermes), ``schedule``,
``text`` (anything else in-process)."""


@dataclass
class PendingConfirmation:
    """Sensitive requests waiting for a "yes" from where they were asked."""

    requests: list[ActionRequest]
    expires: float
    """Clock time after which the question lapses."""
    source: Source = "voice"
    """The only source whose "yes" confirms (a spoken request needs a spoken yes)."""


@dataclass
class CommandReport:
    """What one command did, stage by stage (milliseconds of wall time)."""

    text: str | None = None
    result: IntentResult | None = None
    outcomes: list[ActionOutcome] = field(default_factory=list)
    answer: str | None = None
    stage_ms: dict[str, float] = field(default_factory=dict)
    """``stt``, ``intent``, ``action``, ``first_audio`` (from the start of handling)."""
    error: EdgeOSError | None = None


class CommandPipeline:
    """Turns one command into events, device actions and a spoken answer."""

    def __init__(
        self,
        registry: DeviceRegistry,
        recognizer: IntentRecognizer,
        dispatcher: Dispatcher,
        *,
        stt: SpeechToText | None = None,
        voice: Voice | None = None,
        player: Player | None = None,
        states: StateReader | None = None,
        area: str | None = None,
        confirm_timeout_seconds: float = 10.0,
        confirm_llm: bool = True,
        clock: Clock = time.monotonic,
        wall_clock: Callable[[], datetime] | None = None,
        timers: TimerTable | None = None,
    ) -> None:
        from edge_os.intent.answer import TimerTable

        self.registry = registry
        self.recognizer = recognizer
        self.dispatcher = dispatcher
        self.stt = stt
        self.voice = voice
        self.player = player
        self.area = area
        self.states: StateReader = states or (lambda _entity_id: None)
        """Reads an entity's last known state (for state questions)."""
        self._confirm_seconds = confirm_timeout_seconds
        self.confirm_llm = confirm_llm
        """Ask before acting on what only the LLM fallback understood."""
        self._clock = clock
        self._now = wall_clock or (lambda: datetime.now().astimezone())
        self.timers = timers or TimerTable(self._now)
        """Timers and delayed commands (in memory unless a durable table is given)."""
        self.pending: PendingConfirmation | None = None

    def handle_audio(self, audio: AudioChunk, emit: Emit) -> CommandReport:
        """Transcribe ``audio`` and carry the command out."""
        report = CommandReport()
        started = time.perf_counter()
        if self.stt is None:
            return self._fail(report, "stt", ErrorCode.STT_FAILED, "no speech-to-text", emit)
        try:
            transcript = self.stt.transcribe(audio)
        except EdgeOSError as err:
            return self._fail(report, "stt", err.code, err.message, emit)
        except Exception as err:
            return self._fail(report, "stt", ErrorCode.STT_FAILED, str(err), emit)
        report.stage_ms["stt"] = _ms_since(started)
        emit(
            TranscriptReady(
                text=transcript.text,
                language=transcript.language,
                audio_seconds=round(transcript.audio_seconds, 3),
                processing_ms=round(transcript.processing_ms, 1),
            )
        )
        return self._handle(transcript.text, emit, report, started, source="voice")

    def handle_text(self, text: str, emit: Emit, *, source: Source = "text") -> CommandReport:
        """Carry out a text command (MQTT injection, ``edge-os say``) that came from ``source``."""
        return self._handle(text, emit, CommandReport(), time.perf_counter(), source=source)

    def handle_timer(self, timer: Timer, emit: Emit, *, late_seconds: float = 0.0) -> CommandReport:
        """Finish a due timer: run its delayed command as if spoken, or say it is done."""
        emit(timer_finished(timer, late_seconds))
        started = time.perf_counter()
        if timer.command:
            return self._handle(
                timer.command, emit, CommandReport(), started, scheduled=True, source="schedule"
            )
        from edge_os.intent.answer import finished_text

        spoken = finished_text(timer, self.registry, self.area)
        report = CommandReport(answer=spoken)
        first_audio = self._speak(spoken, emit)
        if first_audio is not None:
            report.stage_ms["first_audio"] = round((first_audio - started) * 1000, 1)
        emit(AnswerReady(text=spoken, first_audio_ms=report.stage_ms.get("first_audio")))
        return report

    def _handle(
        self,
        text: str,
        emit: Emit,
        report: CommandReport,
        started: float,
        *,
        scheduled: bool = False,
        source: Source = "text",
    ) -> CommandReport:
        report.text = text
        try:
            outcomes, result, spoken = self._act(
                text, emit, report, started, scheduled=scheduled, source=source
            )
        except EdgeOSError as err:
            return self._fail(report, "intent", err.code, err.message, emit)
        except Exception as err:  # a stage bug must not take the loop down
            _LOGGER.exception("command %r failed", text)
            return self._fail(report, "intent", ErrorCode.INTENT_FAILED, str(err), emit)
        report.result, report.outcomes, report.answer = result, outcomes, spoken
        first_audio = self._speak(spoken, emit)
        if first_audio is not None:
            report.stage_ms["first_audio"] = round((first_audio - started) * 1000, 1)
        emit(AnswerReady(text=spoken, first_audio_ms=report.stage_ms.get("first_audio")))
        return report

    def _act(
        self,
        text: str,
        emit: Emit,
        report: CommandReport,
        started: float,
        *,
        scheduled: bool,
        source: Source,
    ) -> tuple[list[ActionOutcome], IntentResult, str]:
        from edge_os.intent.answer import answer as query_answer
        from edge_os.intent.plan import plan
        from edge_os.tts.replies import answer as action_answer

        # A delayed command is nobody's answer: it neither confirms nor drops a question.
        confirmed = None if scheduled else self._confirmation(text, source)
        if confirmed is not None:
            result = IntentResult(text=text, intent="HassConfirm", confidence=1.0, path="grammar")
            requests, is_confirmed = confirmed, True
        else:
            result = self.recognizer.recognize(text, area=self.area)
            requests, is_confirmed = plan(result, self.registry), False
        report.stage_ms["intent"] = _ms_since(started)
        emit(
            IntentRecognized(
                text=result.text,
                intent=result.intent,
                slots=dict(result.slots),
                targets=list(result.targets),
                confidence=round(result.confidence, 3),
                path=result.path,
                latency_ms=round(result.latency_ms, 3),
            )
        )
        outcomes: list[ActionOutcome] = []
        hold = result.path in {"model", "llm"} and self.confirm_llm
        for request in requests:
            action_started = time.perf_counter()
            refused = self._refused(request, source)
            if refused is not None:
                outcome = ActionOutcome(request, OutcomeStatus.FAILED, refused)
            elif hold:  # the small model picks a wrong (but real) device too often to act unasked
                outcome = ActionOutcome(
                    request, OutcomeStatus.NEEDS_CONFIRMATION, "guessed by the fallback"
                )
            else:
                outcome = self.dispatcher.execute(request, confirmed=is_confirmed)
            outcomes.append(outcome)
            emit(
                ActionFinished(
                    entity_id=request.entity_id,
                    action=request.action.value,
                    params=dict(request.params),
                    status=outcome.status.value,
                    reason=outcome.reason,
                    latency_ms=round(_ms_since(action_started), 1),
                )
            )
        if requests:
            report.stage_ms["action"] = _ms_since(started)
        held = [o.request for o in outcomes if o.status is OutcomeStatus.NEEDS_CONFIRMATION]
        if held:
            # a delayed command's question is answered by voice, like the request it came from
            asker = "voice" if scheduled else source
            self.pending = PendingConfirmation(held, self._clock() + self._confirm_seconds, asker)
        elif not scheduled and (self.pending is None or self.pending.source == source):
            self.pending = None  # any other answer from where it was asked drops the question
        spoken: str | None = None
        if not outcomes:
            spoken = query_answer(
                result,
                self.registry,
                self._now,
                self.timers,
                self._state_map(result),
                area=self.area,
                understands=self._understands,
            )
        if spoken is None:
            spoken = action_answer(result, outcomes, self.registry)
        return outcomes, result, spoken

    def _understands(self, text: str) -> bool:
        """Whether a delayed command would be understood (vetted before it is stored)."""
        return self.recognizer.recognize(text, area=self.area).understood

    def _refused(self, request: ActionRequest, source: Source) -> str | None:
        """Why a sensitive action may not be asked for from ``source`` (None: it may)."""
        entity = self.registry.get(request.entity_id)
        if entity is None or not entity.is_sensitive or source in entity.sensitive_sources:
            return None
        return (
            f"{entity.name} takes sensitive actions only by {', '.join(entity.sensitive_sources)}"
        )

    def _confirmation(self, text: str, source: Source) -> list[ActionRequest] | None:
        """The held requests if ``text`` confirms them in time from where they were asked.

        Any other answer from that source drops them; a "yes" from another source confirms
        nothing and leaves the question open.
        """
        if self.pending is not None and self.pending.source != source:
            return None
        pending, self.pending = self.pending, None
        if pending is None or self._clock() > pending.expires:
            return None
        words = " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split())
        return pending.requests if YES.match(words) else None

    def _state_map(self, result: IntentResult) -> Mapping[str, str]:
        states: dict[str, str] = {}
        for entity_id in result.targets:
            state = self.states(entity_id)
            if state is not None:
                states[entity_id] = state
        return states

    def _speak(self, text: str, emit: Emit) -> float | None:
        """Speak ``text``; the ``perf_counter`` time its first audio reached the sink."""
        if not text or self.voice is None or self.player is None:
            return None
        started = time.perf_counter()
        result = self.player.play(self.voice.synthesize(text))
        if result.error is not None:
            emit(
                ErrorEvent(stage="tts", code=result.error.code.value, message=result.error.message)
            )
        if result.first_audio_ms is None:
            return None
        return started + result.first_audio_ms / 1000

    def _fail(
        self, report: CommandReport, stage: str, code: ErrorCode, message: str, emit: Emit
    ) -> CommandReport:
        _LOGGER.warning("%s failed: %s", stage, message)
        report.error = EdgeOSError(code, message)
        emit(ErrorEvent(stage=stage, code=code.value, message=message))
        return report


def timer_finished(timer: Timer, late_seconds: float, *, expired: bool = False) -> TimerFinished:
    """The event of a timer that came due (``expired``: dropped as too late to run)."""
    return TimerFinished(
        timer_id=timer.id,
        name=timer.name,
        area=timer.area,
        seconds=timer.seconds,
        command=timer.command,
        late_seconds=round(late_seconds, 3),
        expired=expired,
    )


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def replay(
    chunks: Iterable[AudioChunk],
    frontend: FrontEndLike,
    command: CommandPipeline | None,
    emit: Emit,
) -> list[CommandReport]:
    """Drive a recording through the loop synchronously: each command is handled the moment
    its end of speech is detected (``listen`` and ``bench``); None stops after the VAD."""
    reports: list[CommandReport] = []
    for chunk in chunks:
        for item in frontend.process(chunk):
            if not isinstance(item, AudioChunk):
                emit(item)
            elif command is not None:
                report = command.handle_audio(item, emit)
                reports.append(report)
                emit(CommandTimed(stage_ms={k: round(v, 1) for k, v in report.stage_ms.items()}))
    return reports
