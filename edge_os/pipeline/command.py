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

import itertools
import logging
import math
import re
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from edge_os.audio.format import AudioChunk
from edge_os.devices.registry import DeviceRegistry
from edge_os.errors import EdgeOSError, ErrorCode, SttError
from edge_os.intent.targets import why_asked
from edge_os.pipeline.frontend import PausedSpeech
from edge_os.replies import answer as action_answer
from edge_os.replies import level_unknown, spoken_name, which_one
from edge_os.runtime.memory import release_heap
from edge_os.stages.events import (
    ActionFinished,
    AnswerReady,
    CommandTimed,
    ErrorEvent,
    Event,
    IntentRecognized,
    TimerFinished,
    TranscriptReady,
)
from edge_os.stages.outcome import ActionOutcome, ActionRequest, OutcomeStatus
from edge_os.stages.protocols import IntentRecognizer, IntentResult, SpeechToText, Transcript

if TYPE_CHECKING:
    from edge_os.apps.book import AppBook, AppReading
    from edge_os.devices.entity import Entity
    from edge_os.drivers.dispatcher import Dispatcher
    from edge_os.intent.answer import TimerTable
    from edge_os.pipeline.speculate import Speculator
    from edge_os.scheduler.store import Timer
    from edge_os.tts.factory import Voice
    from edge_os.tts.player import Player

_LOGGER = logging.getLogger(__name__)

Emit = Callable[[Event], None]


class FrontEndLike(Protocol):
    """What :func:`replay` needs of the front end (wake word and VAD)."""

    def process(self, chunk: AudioChunk) -> Sequence[object]:
        """Events, the command so far at a pause, and at speech-end the command audio."""
        ...


Clock = Callable[[], float]
StateReader = Callable[[str], str | None]

SITE_SOURCE = "site:"
"""A satellite's commands come from ``site:<its site id>`` (a "yes" counts only from there);
their kind, for ``sensitive_sources``, is ``satellite``."""
NETWORK_SOURCES = frozenset({"mqtt", "wyoming"})
"""Sources anyone on the network could speak for: a device's confirm_pin applies to them."""
_ORDINALS: dict[int, set[str]] = {
    0: {"first", "former"}, 1: {"second", "latter", "other"}, 2: {"third"},
}  # fmt: skip
YES = re.compile(r"^(yes|yeah|yep|sure|do it|confirm(ed)?|go ahead|ok(ay)?)( please)?$")


Source = str
"""Where a command came in: ``voice``, ``mqtt`` (control topic and Hermes), ``schedule``,
``wyoming`` (``edge-os wyoming``), ``text`` (anything else in-process)."""


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
    """The (first) command's reading."""
    results: list[IntentResult] = field(default_factory=list)
    """Every command's reading ("turn off the lights and lock the door" has two)."""
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
        model_act_confidence: float = 0.7,
        context_seconds: float = 60.0,
        clock: Clock = time.monotonic,
        wall_clock: Callable[[], datetime] | None = None,
        timers: TimerTable | None = None,
        apps: AppBook | None = None,
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
        self.model_act_confidence = model_act_confidence
        """The learned reader's readings below this confidence are asked before acting."""
        self.context_seconds = context_seconds
        """How long "turn it off" or "and the bedroom too" refers to the last request."""
        self._context: dict[Source, tuple[float, list[IntentResult]]] = {}
        self._which: dict[Source, tuple[float, IntentResult]] = {}
        """Per source: a "which one did you mean?" waiting for its answer, and until when."""
        """Per source: when, and what, it last asked (the follow-up context)."""
        self._levels: dict[tuple[str, str], float] = {}
        """Brightness and set points edge-os last sent (a relative change starts there)."""
        self._clock = clock
        self._now = wall_clock or (lambda: datetime.now().astimezone())
        self.timers = timers or TimerTable(self._now)
        """Timers and delayed commands (in memory unless a durable table is given)."""
        self.pending: PendingConfirmation | None = None
        self.apps = apps
        """Apps: their sentences are read first, their steps go through this same path."""
        self._app_say: str | None = None
        """What the app read last wants said once its actions are done."""

    def use_registry(
        self,
        registry: DeviceRegistry,
        recognizer: IntentRecognizer,
        stt: SpeechToText | None,
        availability: Callable[[str], bool | None] | None = None,
    ) -> None:
        """Act on ``registry`` (with entities imported) with a recognizer and STT built for it."""
        self.registry = registry
        self.dispatcher.update_registry(registry, availability)
        self.recognizer = recognizer
        self.stt = stt

    def handle_audio(
        self,
        audio: AudioChunk,
        emit: Emit,
        *,
        heard: Future[Transcript] | None = None,
        source: Source = "voice",
    ) -> CommandReport:
        """Transcribe ``audio`` and carry the command out; ``heard`` is its transcription
        started ahead, at a pause, on the same audio (waited for, not repeated); ``source``
        the microphone it came from (a satellite's is its own: see :meth:`at_site`)."""
        report = CommandReport()
        started = time.perf_counter()
        try:
            transcript = heard.result() if heard is not None else self.transcribe(audio)
        except EdgeOSError as err:
            return self._fail(report, "stt", err.code, err.message, emit)
        except Exception as err:
            return self._fail(report, "stt", ErrorCode.STT_FAILED, str(err), emit)
        text = self._heard(transcript, source)
        report.stage_ms["stt"] = _ms_since(started)
        emit(
            TranscriptReady(
                text=text,
                language=transcript.language,
                audio_seconds=round(transcript.audio_seconds, 3),
                processing_ms=round(transcript.processing_ms, 1),
            )
        )
        return self._handle(text, emit, report, started, source=source)

    def _heard(self, transcript: Transcript, source: Source) -> str:
        """What was said: the transcript, or another reading of the same audio when only that
        one is understood for this home (the bias can garble what it does not name: "Set,
        Messiling fan to 50%" for "set the ceiling fan to 50 percent")."""
        if self.pending is not None:  # a "yes" is read as it was heard
            return transcript.text
        return heard_text(transcript, lambda text: self._reading(text, source))

    def _reading(self, text: str, source: Source) -> Hashable | None:
        """What ``text`` asks of this home, when every command of it is understood by the
        grammar or the learned reader; None when not (a look only: no LLM, and the cache is
        left as it was)."""
        recognize_all = getattr(self.recognizer, "recognize_all", None)
        if recognize_all is None:
            results = [self.recognizer.recognize(text, area=self.area)]
        else:
            results = recognize_all(
                text, area=self.area, context=self._context_of(source), fallback=False,
                remember=False,
            )  # fmt: skip
        if not results or not all(r.understood for r in results):
            return None
        return reading_key(results)

    @contextmanager
    def at_site(self, area: str | None, player: Player | None) -> Iterator[None]:
        """Handle what comes inside as said in ``area`` and answer on ``player``: a hub
        serving a satellite (one command at a time, on the command worker)."""
        own = self.area, self.player
        self.area, self.player = area or own[0], player
        try:
            yield
        finally:
            self.area, self.player = own

    def transcribe(self, audio: AudioChunk) -> Transcript:
        """The text of ``audio`` by the current speech-to-text engine."""
        if self.stt is None:
            raise SttError(ErrorCode.STT_FAILED, "no speech-to-text")
        return self.stt.transcribe(audio)

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
            outcomes, results, spoken = self._act(
                text, emit, report, started, scheduled=scheduled, source=source
            )
        except EdgeOSError as err:
            return self._fail(report, "intent", err.code, err.message, emit)
        except Exception as err:  # a stage bug must not take the loop down
            _LOGGER.exception("command %r failed", text)
            return self._fail(report, "intent", ErrorCode.INTENT_FAILED, str(err), emit)
        report.result, report.results = results[0], results
        report.outcomes, report.answer = outcomes, spoken
        release_heap()  # what transcription and reading freed, before the voice's peak
        first_audio = self._speak(spoken, emit)
        if first_audio is not None:
            report.stage_ms["first_audio"] = round((first_audio - started) * 1000, 1)
        emit(AnswerReady(text=spoken, first_audio_ms=report.stage_ms.get("first_audio")))
        release_heap()  # what decoding and synthesis freed (edge_os.runtime.memory)
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
    ) -> tuple[list[ActionOutcome], list[IntentResult], str]:
        from edge_os.intent.plan import plan

        # A delayed command is nobody's answer: it neither confirms nor drops a question.
        confirmed = None if scheduled else self._confirmation(text, source)
        planned: list[tuple[ActionRequest, IntentResult]]
        if confirmed is not None:
            result = IntentResult(text=text, intent="HassConfirm", confidence=1.0, path="grammar")
            results, is_confirmed = [result], True
            planned = [(request, result) for request in confirmed]
        else:
            chosen = None if scheduled else self._chosen(text, source)
            by_app = None if chosen else self._by_app(text)
            is_confirmed = False
            if by_app is not None:
                results = [by_app.result]
                planned = [(request, by_app.result) for request in by_app.requests]
            else:
                results = [chosen] if chosen else self._recognize(text, source, scheduled=scheduled)
                planned = [
                    (request, one)
                    for one in results
                    for request in plan(one, self.registry, self.level)
                ]
        report.stage_ms["intent"] = _ms_since(started)
        for one in results:
            emit(
                IntentRecognized(
                    text=one.text,
                    intent=one.intent,
                    slots=dict(one.slots),
                    targets=list(one.targets),
                    confidence=round(one.confidence, 3),
                    path=one.path,
                    latency_ms=round(one.latency_ms, 3),
                )
            )
        outcomes: list[ActionOutcome] = []
        for request, one in planned:
            action_started = time.perf_counter()
            refused = self._refused(request, source)
            if refused is not None:
                outcome = ActionOutcome(request, OutcomeStatus.FAILED, refused)
            elif (asked := self._held(one)) is not None:  # a guess is asked, not acted on
                outcome = ActionOutcome(request, OutcomeStatus.NEEDS_CONFIRMATION, asked)
            else:
                outcome = self.dispatcher.execute(request, confirmed=is_confirmed)
            self._remember_level(outcome)
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
        if planned:
            report.stage_ms["action"] = _ms_since(started)
        held = [o.request for o in outcomes if o.status is OutcomeStatus.NEEDS_CONFIRMATION]
        if held:
            # a delayed command's question is answered by voice, like the request it came from
            asker = "voice" if scheduled else source
            self.pending = PendingConfirmation(held, self._clock() + self._confirm_seconds, asker)
        elif not scheduled and (self.pending is None or self.pending.source == source):
            self.pending = None  # any other answer from where it was asked drops the question
        kept = [one for one in results if one.understood and one.path != "app"]
        if not scheduled and not is_confirmed and kept:
            self._context[source] = (self._clock(), kept)
        [first, *more] = results
        if first.alternatives and not first.targets and not more and not scheduled:
            self._which[source] = (self._clock() + self._confirm_seconds, first)
            names = [spoken_name(self.registry[e].name) for e in first.alternatives]
            return outcomes, results, which_one(names)
        return outcomes, results, self._answer(results, outcomes)

    def _by_app(self, text: str) -> AppReading | None:
        """An app's reading of ``text`` (its later steps scheduled), or None when no app says it."""
        self._app_say = None
        if self.apps is None:
            return None
        reading = self.apps.read(
            text, self.registry, now=self._now(), area=self.area, state=self.states
        )
        if not reading.result.understood:
            return None
        self._app_say = reading.say
        if reading.later is not None:  # the steps after a wait: the durable schedule
            seconds, rest = reading.later
            self.timers.start(round(seconds), area=self.area, command=rest)
        return reading

    def _chosen(self, text: str, source: Source) -> IntentResult | None:
        """The reading a short answer completes ("the counter lights", "the second one")
        after edge-os asked which device was meant; None when ``text`` is no such answer."""
        asked = self._which.pop(source, None)
        if asked is None or self._clock() > asked[0]:
            return None
        question = asked[1]
        candidates = [self.registry[e] for e in question.alternatives]
        said = set(re.findall(r"[a-z']+", text.lower()))
        picked = [c for i, c in enumerate(candidates) if said & _ORDINALS.get(i, set())]
        if said & {"both", "all"}:
            picked = candidates
        if not picked:
            # the one whose own words (name and area) the answer says most of
            def overlap(entity: Entity) -> int:
                area = self.registry.area(entity.area) if entity.area else None
                words = f"{entity.name} {area.name if area else ''}".lower().split()
                return len(
                    said & {w for w in words if not all(w in c.name.lower() for c in candidates)}
                )

            counts = [overlap(c) for c in candidates]
            best = max(counts)
            if best > 0 and counts.count(best) == 1:
                picked = [candidates[counts.index(best)]]
        if not picked:
            return None
        slots = dict(question.slots)
        if len(picked) == 1:
            slots["name"] = picked[0].name
        return replace(
            question, text=text, targets=tuple(e.id for e in picked), slots=slots,
            alternatives=(),
        )  # fmt: skip

    def _recognize(self, text: str, source: Source, *, scheduled: bool) -> list[IntentResult]:
        """Every command in ``text``, read with the conversation's context from ``source``."""
        recognize_all = getattr(self.recognizer, "recognize_all", None)
        if recognize_all is None:
            return [self.recognizer.recognize(text, area=self.area)]
        context = [] if scheduled else self._context_of(source)
        found: list[IntentResult] = recognize_all(text, area=self.area, context=context)
        return found

    def _context_of(self, source: Source) -> list[IntentResult]:
        """What the conversation from ``source`` last asked, within its window."""
        last = self._context.get(source)
        if last is not None and self._clock() - last[0] <= self.context_seconds:
            return list(last[1])
        return []

    def _held(self, result: IntentResult) -> str | None:
        """Why a reading is asked before it is acted on (None: it is not): a model's guess,
        or a request that moves many devices of several kinds."""
        if not self.confirm_llm:
            return None
        return why_asked(result, self.registry, self.model_act_confidence)

    def _answer(self, results: list[IntentResult], outcomes: list[ActionOutcome]) -> str:
        """One spoken answer: each question's answer, then what was done or is asked."""
        from edge_os.intent.answer import answer as query_answer

        said: list[str] = []
        done = all(o.status is OutcomeStatus.DONE for o in outcomes)
        if results[0].path == "app" and self._app_say and done:
            return self._app_say  # the app's own answer, once all of it is done
        for one in results:
            if any(o.request.entity_id in one.targets for o in outcomes):
                continue
            if "temperature_step" in one.slots and one.targets:
                names = [spoken_name(self.registry[t].name) for t in one.targets]
                said.append(level_unknown(names))
                continue
            spoken = query_answer(
                one,
                self.registry,
                self._now,
                self.timers,
                self._state_map(one),
                area=self.area,
                understands=self._understands,
            )
            if spoken is None and not outcomes:
                spoken = action_answer(one, [], self.registry)
            if spoken:
                said.append(spoken)
        if outcomes:
            said.append(action_answer(results[0], outcomes, self.registry))
        return " ".join(said)

    def level(self, entity_id: str, what: str) -> float | None:
        """The brightness or set point a relative change starts from: what the device last
        reported when that is a number, 0 for a light reported off, else what edge-os last
        sent it; None when none of these is known."""
        state = self.states(entity_id)
        if state is not None:
            text = state.strip().lower()
            if what == "brightness" and text in {"off", "false", "0"}:
                return 0.0
            try:
                reported = float(text)
            except ValueError:
                pass
            else:
                if math.isfinite(reported):
                    return reported
        return self._levels.get((entity_id, what))

    def _remember_level(self, outcome: ActionOutcome) -> None:
        if outcome.status not in {OutcomeStatus.DONE, OutcomeStatus.QUEUED}:
            return
        for what in ("brightness", "temperature"):
            value = outcome.request.params.get(what)
            if isinstance(value, int | float) and not isinstance(value, bool):
                self._levels[(outcome.request.entity_id, what)] = float(value)

    def _understands(self, text: str) -> bool:
        """Whether a delayed command would be understood (vetted before it is stored)."""
        return self.recognizer.recognize(text, area=self.area).understood

    def _refused(self, request: ActionRequest, source: Source) -> str | None:
        """Why a sensitive action may not be asked for from ``source`` (None: it may)."""
        entity = self.registry.get(request.entity_id)
        kind = "satellite" if source.startswith(SITE_SOURCE) else source
        if entity is None or not entity.is_sensitive or kind in entity.sensitive_sources:
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
        said = re.sub(r"[^a-z0-9 ]", " ", text.lower()).split()
        pins = self._pins(pending) if pending.source in NETWORK_SOURCES else set()
        if not pins <= set(said):
            _LOGGER.warning("a yes from %s without the confirmation PIN: nothing done", source)
            return None
        words = " ".join(w for w in said if not w.isdigit())
        return pending.requests if YES.match(words) else None

    def _pins(self, pending: PendingConfirmation) -> set[str]:
        """The PINs of the held requests' devices (a network "yes" must carry each)."""
        pins = set()
        for request in pending.requests:
            entity = self.registry.get(request.entity_id)
            if entity is not None and entity.confirm_pin is not None:
                pins.add(entity.confirm_pin.get_secret_value())
        return pins

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


MAX_OTHER_READINGS = 12
"""Further readings looked at, at most (the unbiased one and a beam search's n best)."""


def heard_text(transcript: Transcript, reading: Callable[[str], Hashable | None]) -> str:
    """The transcript's text, or, when it is not understood, the first of its further
    readings that is (decoded only then: without the vocabulary bias, then a beam search's
    n best). ``reading`` says what a text asks for, None when it is not understood.

    A further reading is a guess of the ears, so it is taken only when every further
    reading understood asks for the same thing: "set the lamp to 4 %" against "... 40 %"
    is neither, and the text stands (not understood)."""
    if transcript.others is None or reading(transcript.text) is not None:
        return transcript.text
    understood: list[tuple[str, Hashable]] = []
    try:
        for other in itertools.islice(transcript.others(), MAX_OTHER_READINGS):
            key = reading(other) if other and other != transcript.text else None
            if key is not None:
                understood.append((other, key))
    except Exception as err:  # a further decode failing leaves the readings so far
        _LOGGER.warning("reading %r again failed: %s", transcript.text, err)
    asks = {key for _, key in understood}
    if len(asks) == 1:
        _LOGGER.info("heard %r (first heard as %r)", understood[0][0], transcript.text)
        return understood[0][0]
    if asks:
        _LOGGER.info(
            "%r is not understood, and its other readings disagree: %s",
            transcript.text, "; ".join(text for text, _ in understood),
        )  # fmt: skip
    return transcript.text


def reading_key(results: Sequence[IntentResult]) -> Hashable:
    """What results ask for, comparable: intent, targets and slots of each."""
    return tuple(
        (r.intent, tuple(sorted(r.targets)), tuple(sorted((k, str(v)) for k, v in r.slots.items())))
        for r in results
    )


def replay(
    chunks: Iterable[AudioChunk],
    frontend: FrontEndLike,
    command: CommandPipeline | None,
    emit: Emit,
    speculator: Speculator | None = None,
) -> list[CommandReport]:
    """Drive a recording through the loop synchronously: each command is handled the moment
    its end of speech is detected (``listen`` and ``bench``); None stops after the VAD.
    ``speculator``: the command so far at a pause is transcribed ahead by it, as the service
    does (worth it only when the chunks come at the pace they were spoken)."""
    reports: list[CommandReport] = []
    for chunk in chunks:
        for item in frontend.process(chunk):
            if isinstance(item, Event):
                emit(item)
            elif isinstance(item, PausedSpeech):
                if speculator is not None:
                    speculator.paused(item.audio)
            elif isinstance(item, AudioChunk) and command is not None:
                heard = speculator.take(item) if speculator is not None else None
                report = command.handle_audio(item, emit, heard=heard)
                reports.append(report)
                emit(CommandTimed(stage_ms={k: round(v, 1) for k, v in report.stage_ms.items()}))
    return reports
