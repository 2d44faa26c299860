"""The intent stage: cache, compiled grammar, then the optional fallback recogniser.

Results carry their path ("cache", "grammar", "model", "llm"); below ``min_confidence`` a
result counts as not understood. The cache remembers recent sentences the grammar read (per
area) so a repeated command costs a dict lookup; a learned or LLM reading is read again
each time, so it keeps its path, and with it the question asked before it is acted on.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

from edge_os.config.settings import IntentSettings
from edge_os.devices.entity import Domain
from edge_os.devices.registry import DeviceRegistry
from edge_os.errors import EdgeOSError, MissingDependencyError
from edge_os.intent.compiled import said_in, words
from edge_os.intent.compound import VERBS as COMMAND_VERBS
from edge_os.intent.compound import drop_article, follow_up, only_names, split_clauses, verb_of
from edge_os.intent.corrections import Correction, corrected, correction
from edge_os.intent.frames import unframed
from edge_os.intent.grammar import GrammarRecognizer, fillers_dropped, strip_wake_phrase
from edge_os.intent.mentions import MentionFinder
from edge_os.intent.plan import QUERY_INTENTS
from edge_os.intent.reader import (
    GUESSED,
    LAMP_WORDS,
    MAX_CLAUSES,
    Reader,
    asked_as_statement,
    both_ways,
    excepted,
    forbids,
    is_lamp,
    negated,
    not_meant,
    place_of_reason,
    question_form,
    request_clauses,
)
from edge_os.intent.targets import intent_targets
from edge_os.stages.protocols import IntentRecognizer, IntentResult

_LOGGER = logging.getLogger(__name__)


class IntentEngine:
    """IntentRecognizer: grammar first, then ``retrieval``, then ``fallback`` (the LLM)."""

    def __init__(
        self,
        registry: DeviceRegistry,
        settings: IntentSettings | None = None,
        *,
        default_area: str | None = None,
        fallback: IntentRecognizer | None = None,
        language: str = "en",
        retrieval: IntentRecognizer | None = None,
    ) -> None:
        self.settings = settings or IntentSettings()
        self.grammar = GrammarRecognizer(registry, default_area, language)
        self.default_area = default_area
        self.retrieval = retrieval
        self.fallback = fallback
        self.finder = MentionFinder(registry)
        self._cache: OrderedDict[tuple[str, str | None], IntentResult] = OrderedDict()

    def recognize_all(
        self,
        text: str,
        *,
        area: str | None = None,
        context: Sequence[IntentResult] = (),
        fallback: bool = True,
        remember: bool = True,
    ) -> list[IntentResult]:
        """Every command in ``text``: "turn off the lights and lock the front door" is two.

        The whole sentence is tried first by the grammar; then, if it joins clauses with
        "and" / "then", each clause on its own (a clause without a verb borrows the one
        before it: "turn on the kitchen light and the coffee machine"). Only when every
        clause is understood is the sentence read as several commands; otherwise it is
        read as one (never half of it).

        ``context`` is what the conversation last asked (within its window): "and the
        bedroom too" repeats it for the bedroom, "turn it off" and "brighter" act on its
        devices. ``fallback`` False leaves the LLM out; ``remember`` False leaves the cache
        as it was (a look before the real reading: "is this understood at all?").
        """
        whole = self.grammar.recognize(text, area=area or self.default_area)
        if whole.understood or correction(words(text)) is not None:
            # a correction is one request: "start the sprinkler, no, stop it" is not two
            return [self.recognize(text, area=area, remember=remember)]
        if context:
            again = follow_up(text, context, self.finder, self.grammar.registry)
            if again:
                return again
        if excepted(words(text)):  # "turn off all the lights except the desk light"
            _LOGGER.info("%r: an exception edge-os cannot keep to", text)
            return [IntentResult(text=text, intent=None, path="grammar")]
        clauses = split_clauses(words(text))
        if len(clauses) > 1 and not both_ways(words(text)):  # not "brighter and dimmer"
            results, failed = self._clauses(clauses, area, remember=remember)
            if results is not None:
                return results
            half = failed is not None and self._names_more(failed)  # read once, not again
        else:
            half = False
        devices = [t for result in context for t in result.targets]
        return [
            self.recognize(
                text, area=area, context=devices, fallback=fallback, remember=remember, half=half
            )
        ]

    def _clauses(
        self, clauses: list[list[str]], area: str | None, *, remember: bool = True
    ) -> tuple[list[IntentResult] | None, list[str] | None]:
        """Each clause's reading, or None and the first clause not understood (None when
        the first clause is the one: nothing else was understood either)."""
        results: list[IntentResult] = []
        previous: list[str] | None = None
        last = self.finder.find(list(clauses[-1]))
        # "turn on the fan and the light in the attic": the place said last ("in ...") is
        # the place of a part before it that says none (not "... the kitchen light")
        ending = None
        if len(last.areas) == 1:
            at = min(last.areas[0].positions)
            before = clauses[-1][:at]
            if before[-2:] == ["in", "the"] or before[-1:] == ["in"]:
                ending = last.areas[0].id
        for clause in clauses:
            said = clause
            found = self.finder.find(list(clause))
            place = area if found.areas or found.floors or found.entities else ending or area
            if previous is not None and only_names(clause, self.finder):
                said = verb_of(previous, self.finder) + drop_article(clause)
            result = self.recognize(" ".join(said), area=place, fallback=False, remember=remember)
            if (
                not result.understood
                and previous is not None
                and said is clause
                and not negated(clause)  # "... and don't touch the blinds" borrows no verb
                and clause[:1] != ["leave"]  # nor "... and leave the lamp"
            ):
                said = verb_of(previous, self.finder) + drop_article(clause)
                result = self.recognize(
                    " ".join(said), area=place, fallback=False, remember=remember
                )
            if not result.understood or (
                not result.targets and result.slots.keys() & _TARGETING_SLOTS
            ):  # "... and the hallway light" where there is none: never half of it
                # the first clause too, when it is a command of its own ("turn off the tv
                # and the floor lamp" where there is no tv), not a lead-in ("do me a favour")
                first = not results and bool(said) and said[0] in COMMAND_VERBS
                return None, (said if results or first else None)
            if previous is not None and result.targets and not self._names_any(said):
                # "set the attic light switch to 40 percent", "the garden light is too dim,
                # turn it up": a later part that names nothing is no command of its own
                return None, None
            asked_first = bool(results) and results[0].intent in QUERY_INTENTS
            if asked_first and result.intent not in QUERY_INTENTS:
                # "are the kitchen blinds and the living room blinds closed?": a question
                # goes on as one, and its second part is never an action
                return None, None
            if any(_same(result, earlier) for earlier in results):
                continue  # "it's stuffy and warm in here, cool it off": one step, not two
            results.append(result)
            previous = said
        return results, None

    def _names_any(self, clause: Sequence[str]) -> bool:
        """Whether ``clause`` names a device, a place or a kind of device."""
        found = self.finder.find(list(clause))
        return bool(
            found.entities or found.areas or found.floors or found.groups or found.whole_home
        )

    def _half_of(self, text: str, area: str | None) -> bool:
        """Whether ``text`` joins clauses one of which is not understood and names
        something to act on: a reading of the whole could only be half of it."""
        clauses = split_clauses(words(text))
        if len(clauses) < 2 or both_ways(words(text)):
            return False
        results, failed = self._clauses(clauses, area, remember=False)
        return results is None and failed is not None and self._names_more(failed)

    def _names_more(self, clause: Sequence[str]) -> bool:
        """Whether a clause not understood names something to act on ("the printer", "the
        hallway light"), rather than asking nothing or something not to be done."""
        tokens = list(clause)
        if not tokens or negated(tokens) or forbids(tokens):
            return False
        found = self.finder.find(tokens)
        if found.entities or found.areas or found.groups:
            return True
        return isinstance(self.retrieval, Reader) and bool(
            self.retrieval.unknown_words(tokens, frozenset())
        )

    def _called_otherwise(
        self, result: IntentResult, text: str, area: str | None, context: Sequence[str]
    ) -> IntentResult:
        """``result``, or where the grammar looked for a kind in an area and found none
        ("kitchenette lighting off", where the home has a switch called "Kitchenette
        lights"), the reader's reading of the one device of the area called so."""
        if (
            result.understood
            and result.path == "grammar"
            and not result.targets
            and "area" in result.slots
            and "name" not in result.slots
            and isinstance(self.retrieval, Reader)
        ):
            named = self.retrieval.recognize(text, area=area, context=context)
            if named.understood and (
                self._called_as_said(text, named.targets)
                or (
                    "name" not in named.slots
                    and self._switched_there(named.targets, result.slots["area"])
                )
            ):
                _LOGGER.info("%r: no device for the grammar's reading, the reader's", text)
                return named
        return result

    def _switched_there(self, targets: Sequence[str], area: object) -> bool:
        """Whether ``targets`` are switches of ``area``: what the reader found for a kind the
        area has none of ("the lights in the balcony", two switches called lighting)."""
        registry = self.grammar.registry
        return bool(targets) and all(
            t in registry and registry[t].domain is Domain.SWITCH and registry[t].area == area
            for t in targets
        )

    def _called_as_said(self, text: str, targets: Sequence[str]) -> bool:
        """Whether ``targets`` is one device whose name says, in other words of its kind,
        what ``text`` says, and the only one of its area so called."""
        registry = self.grammar.registry
        if len(targets) != 1 or targets[0] not in registry:
            return False
        entity = registry[targets[0]]
        said = set(words(text))
        for alike in _CALLED_ALIKE:
            if said & alike and set(words(entity.name)) & alike:
                return [
                    e.id for e in registry if e.area == entity.area and set(words(e.name)) & alike
                ] == [entity.id]
        return False

    def recognize(
        self,
        text: str,
        *,
        area: str | None = None,
        fallback: bool = True,
        context: Sequence[str] = (),
        remember: bool = True,
        half: bool | None = None,
    ) -> IntentResult:
        """Recognise ``text``; never raises for a sentence it does not understand.

        ``fallback`` False leaves the LLM out (for one clause of a longer sentence);
        ``context``: devices a sentence naming none is about (the learned reader's);
        ``remember`` False does not put the reading in the cache; ``half``: whether a reading
        of the whole would be half of its request (``recognize_all`` knows it from its own
        reading of the clauses; None: find out)."""
        started = time.perf_counter()
        area = area or self.default_area
        if _ANNOTATION.fullmatch(text) or not_meant(words(text)) or excepted(words(text)):
            # "[Music]", "(laughs)": a transcript of no speech; "hypothetically, ...";
            # "turn off all the lights except the desk light": no one reading keeps to it
            return IntentResult(text=text, intent=None, path="grammar")
        if (framed := unframed(fillers_dropped(strip_wake_phrase(words(text))))) is not None:
            # "would you mind running the vacuum", "any chance you could dim the lamp?"
            inner, hedged = framed
            _LOGGER.info("%r: the request in its polite frame: %r", text, " ".join(inner))
            result = self.recognize(
                " ".join(inner), area=area, fallback=fallback, context=context, remember=remember
            )
            if hedged and result.understood and result.path != "llm":
                # "why don't you ...", "might as well ...": asked first, as a guess is
                result = replace(result, path="model", confidence=min(result.confidence, GUESSED))
            return replace(result, text=text, latency_ms=(time.perf_counter() - started) * 1000)
        if (fix := correction(words(text))) is not None:
            # "turn on the kitchen light, no, the counter lights": only the correction asks
            return self._corrected(text, fix, area, fallback=fallback, context=context)
        key = (" ".join(words(text)), area)
        cached = None if context else self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            latency_ms = (time.perf_counter() - started) * 1000
            return replace(cached, text=text, path="cache", latency_ms=latency_ms)
        result = self.grammar.recognize(text, area=area)
        if not result.understood and not (  # "jess, turn the stereo down": not ours
            isinstance(self.retrieval, Reader) and self.retrieval.called_by_name(text)
        ):
            # "wake me up in twenty minutes, I'm having a nap": the request, read alone
            for clause in request_clauses(text)[:MAX_CLAUSES]:
                place = place_of_reason(self.finder, text, clause)
                if place == "":
                    continue
                part = self.grammar.recognize(clause, area=place or area)
                if part.understood:
                    result = replace(part, text=text)
                    break
        if result.understood and result.path == "grammar":
            result = self._called_otherwise(
                self._every_light(
                    self._all_told(self._named_within(self._main_lights(self._lamps(result))), area)
                ),
                text,
                area,
                context,
            )
        if not result.understood and isinstance(self.retrieval, Reader):
            result = self.retrieval.recognize(text, area=area, context=context)
        elif not result.understood and self.retrieval is not None:
            result = self.retrieval.recognize(text, area=area)
        if not result.understood and self.fallback is not None and fallback:
            result = self.fallback.recognize(text, area=area)
        if not result.understood:
            result = self._main_light(text, area, context) or result
        if (
            result.understood
            and result.path != "grammar"
            and (self._half_of(text, area) if half is None else half)
        ):
            # "switch on the desk light and the printer": never half of a request
            _LOGGER.info("%r: a part of it is not understood", text)
            result = IntentResult(text=text, intent=None, path=result.path)
        if result.intent not in QUERY_INTENTS and asked_as_statement(text):
            # "the lights in the kitchen are on?": a question, whatever its words would do
            _LOGGER.info("%r: a statement asked is a question, not %s", text, result.intent)
            asked = self.recognize(question_form(text), area=area, fallback=False)
            result = (
                replace(asked, text=text)
                if asked.intent in QUERY_INTENTS
                else IntentResult(text=text, intent=None, path=result.path)
            )
        if result.understood and result.confidence < self.settings.min_confidence:
            _LOGGER.info(
                "%r: %s at %.2f is below min_confidence", text, result.intent, result.confidence
            )
            result = IntentResult(text=text, intent=None, path=result.path)
        result = replace(result, latency_ms=(time.perf_counter() - started) * 1000)
        # only the grammar's readings: a learned or LLM reading served as "cache" would
        # lose the path that makes the command path ask before acting on it
        if (
            remember
            and result.understood
            and result.path == "grammar"
            and self.settings.cache_size
            and not context
        ):
            self._cache[key] = result
            if len(self._cache) > self.settings.cache_size:
                self._cache.popitem(last=False)
        return result

    def _corrected(
        self,
        text: str,
        fix: Correction,
        area: str | None,
        *,
        fallback: bool,
        context: Sequence[str],
    ) -> IntentResult:
        """The first reading of what the correction may mean, or not understood."""
        started = time.perf_counter()

        def names(tokens: Sequence[str]) -> bool:
            found = self.finder.find(list(tokens))
            return bool(found.entities or found.areas or found.floors)

        for candidate in corrected(fix, names):
            meant = " ".join(candidate)
            result = self.recognize(
                meant, area=area, fallback=fallback, context=context, remember=False
            )
            aimless = not result.targets and result.slots.keys() & _TARGETING_SLOTS
            if result.understood and not aimless:  # "the hallway light" where there is none
                _LOGGER.info("%r: read as corrected to %r", text, meant)
                latency_ms = (time.perf_counter() - started) * 1000
                return replace(result, text=text, latency_ms=latency_ms)
        _LOGGER.info("%r: corrected, and what it corrects to is not understood", text)
        return IntentResult(text=text, intent=None, path="grammar")

    def _all_told(self, result: IntentResult, area: str | None) -> IntentResult:
        """Home Assistant's question word is optional in "[are] all the lights off", so it
        reads "all the lights off" as a question. Said without a question mark, with no
        word that asks, it is a request: "all lights off, jarvis" turns them off."""
        if (
            result.intent != "HassGetState"
            or result.slots.get("state") not in _ON_OFF
            or "?" in result.text
        ):
            return result
        state = str(result.slots["state"])
        tokens = strip_wake_phrase(words(result.text))
        if not tokens or tokens[0] not in _ALL_WORDS or tokens.count(state) != 1:
            return result
        tokens.remove(state)  # "all the lights off" -> "turn off all the lights"
        told = self.recognize(
            " ".join(["turn", state, *tokens]), area=area, fallback=False, remember=False
        )
        if told.intent != _ON_OFF[state] or set(told.targets) != set(result.targets):
            return result
        _LOGGER.info("%r: said, not asked: %s", result.text, told.intent)
        return replace(told, text=result.text)

    def _every_light(self, result: IntentResult) -> IntentResult:
        """ "set all the lights to orange": every light of the home. Home Assistant's
        template for a colour or brightness of the lights takes the room it was said in
        when none is said; "all" says more than that room ("turn off all the lights"
        already reads so)."""
        if result.intent != "HassLightSet" or "area" not in result.slots:
            return result
        tokens = words(result.text)
        if not any(said_in(tokens, all_of) for all_of in _ALL_LIGHTS):
            return result
        found = self.finder.find(tokens)
        if found.areas or found.floors or found.entities:
            return result  # "all the lights in the kitchen"
        slots = {k: v for k, v in result.slots.items() if k != "area"}
        targets = intent_targets(self.grammar.registry, result.intent, slots, (), None)
        if not targets:
            return result
        _LOGGER.info("%r: all the lights of the home, not the room's", result.text)
        return replace(result, slots=slots, targets=targets)

    def _main_light(
        self, text: str, area: str | None, context: Sequence[str]
    ) -> IntentResult | None:
        """ "Switch the big light on": the room's main light, said the British way. Read as
        its ceiling light where one is called so, else as the room's light (every light
        there, as Home Assistant reads "the light" of a room); only when the sentence is
        not understood as it is, so a device called "Main light" stays itself."""
        tokens = words(text)
        said = [
            i for i, t in enumerate(tokens[:-1]) if t in _MAIN and tokens[i + 1] in _LIGHT_WORDS
        ]
        if len(said) != 1:
            return None
        index = said[0]
        for variant in (
            [*tokens[:index], "ceiling", *tokens[index + 1 :]],
            [*tokens[:index], *tokens[index + 1 :]],
        ):
            read = self.recognize(
                " ".join(variant), area=area, fallback=False, context=context, remember=False
            )
            if read.understood and read.targets:
                _LOGGER.info("%r: the main light read as %r", text, " ".join(variant))
                return self._main_lights(replace(read, text=text))
        return None

    def _named_within(self, result: IntentResult) -> IntentResult:
        """ "turn on the kitchen counter lights": the grammar read the kitchen's lights, and
        the words name one of them whole, with a word beside the room's and the kind's
        ("Kitchen Counter Light"): that one ("the kitchen lights" stay all of them)."""
        if "area" not in result.slots or "name" in result.slots or len(result.targets) < 2:
            return result
        found = self.finder.find(result.text)
        if not found.entities or not found.areas:
            return result
        best = found.entities[0]
        if (
            best.score < 0.99
            or not best.contiguous
            or best.id not in result.targets
            or not best.positions - found.areas[0].positions - found.kinds.keys()
        ):
            return result
        return _narrowed(result, (best.id,), self.grammar.registry)

    def _main_lights(self, result: IntentResult) -> IntentResult:
        """ "switch off the big light in the master bedroom": of the room's lights, those
        not called lamps, where some are ("Master bedroom light", not its Lamp)."""
        tokens = words(result.text)
        if (
            not any(t in _MAIN and u in _LIGHT_WORDS for t, u in pairwise(tokens))
            or "area" not in result.slots
            or "name" in result.slots
        ):
            return result
        registry = self.grammar.registry
        main = tuple(t for t in result.targets if (e := registry.get(t)) and not is_lamp(e))
        return _narrowed(result, main, registry)

    def _lamps(self, result: IntentResult) -> IntentResult:
        """Home Assistant reads "lamp" as any light: "turn off the lamp" in a room with a
        ceiling light and a floor lamp turns off both. Where some of the room's lights are
        called lamps, "the lamp" is those (a whole floor's lamps stay every light, as
        Home Assistant's own tests have it)."""
        said = set(words(result.text))
        if (
            not said & LAMP_WORDS
            or said & _LIGHT_WORDS
            or "area" not in result.slots
            or "name" in result.slots
            or not result.targets
        ):
            return result
        registry = self.grammar.registry
        lamps = tuple(t for t in result.targets if (e := registry.get(t)) and is_lamp(e))
        if not lamps and any(is_lamp(e) for e in registry):
            # the home calls some lights lamps, and none here: this room's ceiling light
            # is not "the lamp"
            return IntentResult(text=result.text, intent=None, path="grammar")
        return _narrowed(result, lamps, registry)


_LIGHT_WORDS = frozenset({"light", "lights", "lighting"})
_ON_OFF = {"on": "HassTurnOn", "off": "HassTurnOff"}
_MAIN = frozenset({"big", "main", "overhead", "top"})
"""Words that make "the light" of a room its main one: "the big light"."""
_ALL_WORDS = frozenset({"all", "every"})


def _same(one: IntentResult, other: IntentResult) -> bool:
    """Whether two readings ask for the same thing of the same devices."""
    if (one.intent, set(one.targets)) != (other.intent, set(other.targets)):
        return False
    values = {k: v for k, v in one.slots.items() if k not in _TARGETING_SLOTS}
    others = {k: v for k, v in other.slots.items() if k not in _TARGETING_SLOTS}
    return values == others  # "enable the wemo switch": the same, said by name and by kind


_ALL_LIGHTS = (("all", "the", "lights"), ("all", "lights"), ("every", "light"))
_TARGETING_SLOTS = frozenset({"name", "area", "floor", "domain"})
"""Slots of a reading that picks devices: with none picked, it does nothing."""


_CALLED_ALIKE = (
    frozenset({"light", "lights", "lighting", "lamp", "lamps"}),
    frozenset({"blind", "blinds", "shade", "shades"}),
)
"""Words people say for one another in a device's name ("the deck lights" for a switch
called "Deck lighting", "the kitchen shades" for "Kitchen Blinds")."""
_ANNOTATION = re.compile(
    r"\s*(?:\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|[♪♫\s]+|(?:Music|Applause|Laughter|Silence)\.)"
    r"\s*[.!]?\s*"
)
"""What speech-to-text writes for sound that is not speech: "[Music]", "(door slams)",
Whisper's "Music." alone."""


def _narrowed(
    result: IntentResult, kept: tuple[str, ...], registry: DeviceRegistry
) -> IntentResult:
    """``result`` acting on ``kept``, some of its targets (one is named, the room's words
    leave); ``result`` itself when none or all of them are kept."""
    if not kept or len(kept) == len(result.targets):
        return result
    if len(kept) > 1:
        return replace(result, targets=kept)
    slots = {k: v for k, v in result.slots.items() if k not in {"area", "domain"}}
    slots["name"] = registry[kept[0]].name
    return replace(result, targets=kept, slots=slots, response=None)


def build_engine(
    registry: DeviceRegistry,
    settings: IntentSettings,
    default_area: str | None,
    *,
    fallback: IntentRecognizer | None = None,
    language: str = "en",
    retrieval: IntentRecognizer | None = None,
) -> IntentEngine:
    """The engine for a loaded config (the learned paths are passed in by whoever loads them)."""
    return IntentEngine(
        registry,
        settings,
        default_area=default_area,
        fallback=fallback,
        language=language,
        retrieval=retrieval,
    )


def load_retrieval(
    registry: DeviceRegistry,
    settings: IntentSettings,
    state_dir: Path,
    here: str | None,
    language: str = "en",
) -> IntentRecognizer | None:
    """The learned reader when enabled and its encoder is built, else None (logged)."""
    if not settings.retrieval:
        return None
    from edge_os.intent.classifier import has_phrases

    if not has_phrases(language):
        _LOGGER.info("the learned intent path speaks English only; %s uses the grammar", language)
        return None
    try:
        from edge_os.intent.embed.build import default_out_dir
        from edge_os.intent.reader import Reader

        return Reader.load(
            registry,
            default_out_dir(state_dir),
            here,
            language=language,
            threads=settings.retrieval_threads,
        )
    except (ImportError, EdgeOSError) as err:
        _LOGGER.warning("the learned intent path is off: %s", err)
        return None


def load_fallback(
    registry: DeviceRegistry, settings: IntentSettings, state_dir: Path
) -> IntentRecognizer | None:
    """The LLM fallback when enabled and built (``edge_os.intent.llm``), else None (logged)."""
    if not settings.llm_fallback:
        return None
    try:
        from edge_os.intent.llm.build import default_out_dir
        from edge_os.intent.llm.recognizer import LlmIntentRecognizer

        return LlmIntentRecognizer.load(
            registry,
            default_out_dir(state_dir),
            settings.llm_threads,
            model_file=settings.llm_model_file,
        )
    except (ImportError, MissingDependencyError) as err:
        _LOGGER.warning("LLM fallback unavailable: %s", err)
        return None


def lazy_fallback(
    registry: DeviceRegistry, settings: IntentSettings, state_dir: Path
) -> IntentRecognizer | None:
    """The LLM fallback as ``intent.llm_load`` says: loaded now, or on first need."""
    if not settings.llm_fallback:
        return None
    if settings.llm_load == "eager":
        return load_fallback(registry, settings, state_dir)
    from edge_os.intent.lazy import LazyRecognizer

    return LazyRecognizer(
        lambda: load_fallback(registry, settings, state_dir),
        idle_unload_seconds=settings.llm_idle_unload_seconds,
    )
