"""The grammar: Home Assistant's templates, compiled, matched against the registry.

A sentence goes through three passes, each only when the one before matched nothing:
1. as said (lower case, punctuation and HA's skip words removed, the wake phrase or the
   assistant's name cut off);
2. with fillers dropped ("um", "just", "ok") that HA's templates do not allow;
3. with words not in any template or list repaired to the nearest registry word
   ("kitchen lite" -> "kitchen light"), at a lower confidence.

Among the templates that match, the most specific wins (most words matched by the
template's own text, then a spoken name over a bare area). Context rules are Home
Assistant's: a template that requires ``domain: light`` only accepts a light's name, one
that requires ``area`` takes the satellite's area. Targets come only from the registry and
only entities that declare the action; a sentence understood with nothing able to carry it
out ("open the kitchen light") keeps its intent with no targets, so nothing moves and the
answer says no device was found. A reading with targets always beats one without.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from edge_os.devices.colors import COLOR_NAMES
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.compiled import Match, words
from edge_os.intent.mentions import singular
from edge_os.intent.plan import QUERY_INTENTS
from edge_os.intent.sentences import load_library
from edge_os.intent.slots import SlotLists, name_variants
from edge_os.intent.targets import intent_targets
from edge_os.stages.protocols import IntentResult, SlotValue

REPAIR_PENALTY = 0.9
"""Confidence factor for a sentence that needed a repaired word."""
REPAIR_PHRASE_SCORE = 84.0
"""rapidfuzz ratio (0-100) a misheard span needs to be read as a registry name or area."""
REPAIR_WORD_SCORE = 75.0
"""Ratio a misheard word needs to be read as a word of the templates."""
MAX_REPAIR_WORDS = 16
"""Longer sentences are not repaired (bounded worst case)."""
MAX_UNKNOWN_WORDS = 2
"""A slip is a word or two; a sentence with more unknown words is not a command misheard."""
MAX_WORDS = 64
"""Longer text is not a command: not understood without matching (bounded work)."""
ASSISTANT_NAMES = (
    "jarvis", "mycroft", "rhasspy", "alexa", "computer", "siri", "google", "cortana", "bixby",
    "nabu", "olly",
)  # fmt: skip
"""Wake words' names, cut from the start or end of a transcript that still holds them."""
WAKE_LEADS = ("hey", "hi", "ok", "okay")
FILLERS = frozenset(
    {"um", "uh", "uhm", "erm", "er", "hmm", "just", "ok", "okay", "so", "well", "oh", "hey",
     "kinda", "sorta",
     "kindly", "now", "thanks", "actually", "maybe", "like"}
)  # fmt: skip
"""Words no HA template needs; dropped in the second pass."""
_ASKING_TAGS = frozenset({"ok", "okay", "alright", "fine", "good"})
"""Words after a device's name alone that ask about it: "roof light okay?"."""
_FILLER_PHRASES = (("thank", "you"), ("right", "now"), ("go", "ahead", "and"))
MISHEARD = {"of": "off", "lite": "light", "lites": "lights", "too": "to"}
"""Whisper's usual slips on command words, tried in the repair pass."""


def _speakers_own(reading: Reading) -> bool:
    """Whether a delayed command's command holds a clause of the speaker's own: "office
    light on, i've got a call in five minutes" is no "in five minutes" of the light."""
    command = reading.slots.get("conversation_command")
    return command is not None and bool(_SPEAKERS & set(words(str(command))))


_SPEAKERS = frozenset({"i", "i've", "i'm", "im", "ive", "we", "we've", "we're", "i'll", "we'll"})
"""Words that start the speaker's own clause: the length said in it is not the request's
("office light on, i've got a call in five minutes" is no delayed command)."""
_NO_SLIP = frozenset({"other", "another", "second", "third", "both", "neither", "except",
                      "brighter", "dimmer", "louder", "quieter", "warmer", "cooler", "higher",
                      "lower", "more", "less"})  # fmt: skip
"""Words that say which device is meant or how, never dropped or repaired: "unlock the
other garage side door" is not "unlock the garage side door", "kitchen light twenty
percent brighter" not "kitchen light twenty percent"."""
MAX_SLIPS = 3
"""At most this many slip places are tried one at a time (bounded work)."""


@dataclass(frozen=True)
class Reading:
    """One interpretation of a sentence."""

    intent: str
    slots: dict[str, SlotValue]
    targets: tuple[str, ...]
    rank: tuple[int, ...]
    named: tuple[str, ...] = ()
    """Entity ids the spoken name matched (before area and capability filters)."""
    response: str | None = None
    """The template's HA response key (how a state question is answered)."""
    fewer: bool = False
    """The name was heard in the singular of a plural name ("hallway light" for "Hallway
    Lights"): one of the devices so called, not every light of a place."""
    more: bool = False
    """The name was heard in the plural of a singular name ("kitchen lights" for "Kitchen
    light"): every light of its place, where it has others."""


def _slip_variants(tokens: list[str]) -> list[list[str]]:
    """The sentence with one usual slip undone at a time ("of" may be a real "of"), then all."""
    places = [i for i, t in enumerate(tokens) if t in MISHEARD][:MAX_SLIPS]
    variants = [tokens]
    for index in places:
        variants.append([*tokens[:index], MISHEARD[tokens[index]], *tokens[index + 1 :]])
    if len(places) > 1:
        variants.append([MISHEARD.get(t, t) for t in tokens])
    return variants


def strip_wake_phrase(tokens: list[str]) -> list[str]:
    """Remove "hey jarvis" / "jarvis" at the start and "jarvis" at the end."""
    if len(tokens) > 1 and tokens[0] in WAKE_LEADS and tokens[1] in ASSISTANT_NAMES:
        tokens = tokens[2:]
    elif tokens and tokens[0] in ASSISTANT_NAMES:
        tokens = tokens[1:]
    if tokens and tokens[-1] in ASSISTANT_NAMES:
        tokens = tokens[:-1]
    return tokens


def fillers_dropped(tokens: list[str]) -> list[str]:
    """The words from the first that is no filler: "um, just turn on ..." -> "turn on ..."."""
    while tokens and tokens[0] in FILLERS:
        tokens = tokens[1:]
    return tokens


_UNITS = frozenset({"hour", "minute", "second"})


_DURATIONS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("an", "hour", "and", "a", "half"), ("90", "minutes")),
    (("a", "quarter", "of", "an", "hour"), ("15", "minutes")),
    (("quarter", "of", "an", "hour"), ("15", "minutes")),
    (("three", "quarters", "of", "an", "hour"), ("45", "minutes")),
    (("half", "an", "hour"), ("30", "minutes")),
    (("a", "half", "hour"), ("30", "minutes")),
)
"""Lengths said in words, as the numbers HA's duration lists take: "turn off the lights in
half an hour" is a delayed command, as "in 30 minutes" already was."""


def _durations(tokens: list[str]) -> list[str]:
    return _replace_phrases(tokens, _DURATIONS)


def _one_unit(tokens: list[str]) -> list[str]:
    """ "an hour", "a minute" as "1 hour", "1 minute" (HA's duration lists want a number);
    "half an hour" stays as it is."""
    out = list(tokens)
    for index in range(len(out) - 1):
        after_fraction = index > 0 and out[index - 1] in {"half", "quarter", "of"}
        if out[index] in {"a", "an"} and out[index + 1] in _UNITS and not after_fraction:
            out[index] = "1"
    return out


def _remove_phrases(tokens: list[str], phrases: Sequence[tuple[str, ...]]) -> list[str]:
    return _replace_phrases(tokens, [(phrase, ()) for phrase in phrases])


def _replace_phrases(
    tokens: list[str], pairs: Sequence[tuple[tuple[str, ...], tuple[str, ...]]]
) -> list[str]:
    """``tokens`` with each phrase of ``pairs`` put as what it pairs with, first pair first."""
    out: list[str] = []
    index = 0
    while index < len(tokens):
        for phrase, instead in pairs:
            if tuple(tokens[index : index + len(phrase)]) == phrase:
                out.extend(instead)
                index += len(phrase)
                break
        else:
            out.append(tokens[index])
            index += 1
    return out


def _drops_known(
    tokens: Sequence[str], start: int, end: int, phrase: str, unknown: Sequence[int]
) -> bool:
    """Whether putting ``phrase`` for ``tokens[start:end]`` would drop a word the grammar
    knows that the phrase does not hold: a verb or an article is no part of a name."""
    if "".join(tokens[start:end]) == phrase.replace(" ", ""):
        return False  # "bed room" is "bedroom", spaced otherwise
    kept = {singular(w) for w in phrase.split()}
    return any(singular(tokens[i]) not in kept for i in range(start, end) if i not in unknown)


def _counted(tokens: Sequence[str]) -> set[str]:
    """The numbers and ordinals among ``tokens``: a repair never changes one."""
    from edge_os.intent.numbers import ONES, TENS

    ordinals = {"first", "second", "third", "fourth", "fifth", "1st", "2nd", "3rd", "4th"}
    return {t for t in tokens if t in ONES or t in TENS or t in ordinals or t.isdigit()}


class GrammarRecognizer:
    """IntentRecognizer over Home Assistant's sentence library compiled for this registry."""

    def __init__(
        self, registry: DeviceRegistry, default_area: str | None = None, language: str = "en"
    ) -> None:
        self.registry = registry
        self.default_area = default_area
        self.library = load_library(language)
        floors = [(f.id, f.name, tuple(f.aliases)) for f in registry.floors]
        self.lists = SlotLists(self.library.intents.slot_lists, registry, floors, language)
        self._names: dict[tuple[str, ...], list[str]] = {}
        for entity in registry:
            for spoken in (entity.name, *entity.aliases):
                for phrase in name_variants(words(spoken)):
                    ids = self._names.setdefault(tuple(phrase), [])
                    if entity.id not in ids:
                        ids.append(entity.id)
        self._known = set(self.lists.vocabulary(self.lists.tries)) | {
            word for state in self.library.automaton.states for word in state.words
        }
        self._phrases = sorted(
            {" ".join(phrase) for phrase in self._names}
            | {" ".join(words(a.name)) for a in registry.areas}
            | {" ".join(words(alias)) for a in registry.areas for alias in a.aliases}
            | {" ".join(words(f.name)) for f in registry.floors}
        )
        import rapidfuzz  # noqa: F401  (loaded now, not on the first misheard word)

        self._longest = max((len(p.split()) for p in self._phrases), default=1)
        self._template_words = sorted(
            {word for state in self.library.automaton.states for word in state.words}
        )

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        """Recognise ``text`` said in ``area``; not understood is a result, never an error."""
        started = time.perf_counter()
        here = area or self.default_area
        reading, confidence = self._read(text, here)
        latency_ms = (time.perf_counter() - started) * 1000
        if reading is None:
            return IntentResult(text=text, intent=None, path="grammar", latency_ms=latency_ms)
        return IntentResult(
            text,
            reading.intent,
            reading.slots,
            reading.targets,
            confidence,
            "grammar",
            latency_ms,
            reading.response,
        )

    def _read(self, text: str, here: str | None) -> tuple[Reading | None, float]:
        tokens = words(text)
        if not tokens or len(tokens) > MAX_WORDS:
            return None, 0.0
        tokens = fillers_dropped(
            _remove_phrases(strip_wake_phrase(tokens), self.library.skip_words)
        )
        if self._name_asked(text, tokens):
            return None, 0.0
        reading = self._best(tokens, here)
        if reading is not None and not _speakers_own(reading):
            return reading, 1.0
        plain = _one_unit([t for t in _remove_phrases(tokens, _FILLER_PHRASES) if t not in FILLERS])
        if plain != tokens:
            reading = self._best(plain, here)
            if reading is not None:
                return reading, 1.0
        if (timed := _durations(plain)) != plain and (reading := self._best(timed, here)):
            # "switch the coffee machine off in half an hour": HA's duration lists take
            # numbers; a delayed command only when its command is one ("give me a shout
            # in half an hour" is a timer the reader reads)
            command = reading.slots.get("conversation_command")
            if command is None or (
                not _speakers_own(reading) and self._read(str(command), here)[0] is not None
            ):
                return reading, 1.0
        tried: list[list[str]] = []
        for candidate in _slip_variants(plain):
            repaired = self._repair(candidate, plain)
            if repaired is None or repaired in tried:
                continue
            tried.append(repaired)
            reading = self._best(repaired, here)
            if reading is not None:
                return reading, REPAIR_PENALTY
        return None, 0.0

    def _name_asked(self, text: str, tokens: list[str]) -> bool:
        """A device's name alone, asked: "roof light?", "living room fan okay?". Home
        Assistant's "[the] {name}" template turns it on; a question is never an action."""
        asked = text.rstrip().endswith("?")
        while len(tokens) > 1 and tokens[-1] in _ASKING_TAGS:
            tokens, asked = tokens[:-1], True
        name = tuple(t for t in tokens if t not in FILLERS and t not in {"the", "my"})
        return asked and bool(name) and name in self._names

    def _repair(self, tokens: list[str], original: list[str]) -> list[str] | None:
        """Misheard words repaired, or None when nothing could be.

        A span around each unknown word is compared with every registry phrase (names,
        aliases, areas, floors: "kitchen lite" -> "kitchen light"); unknown words left over
        are compared with the templates' own words.
        """
        unknown = [i for i, t in enumerate(tokens) if t not in self._known and not t[0].isdigit()]
        if any(
            tokens[i].endswith("'s") or tokens[i] in _NO_SLIP or tokens[i] in COLOR_NAMES
            for i in unknown
        ):  # "jane's lamp" is no mishearing of "Janet's lamp": another person; a colour
            return None  # said to a switch is no slip ("patio string lights teal please")
        if not unknown or len(tokens) > MAX_REPAIR_WORDS or len(unknown) > MAX_UNKNOWN_WORDS:
            return tokens if tokens != original else None
        from rapidfuzz import fuzz, process

        repaired = list(tokens)
        best: tuple[float, int, int, str] | None = None
        for index in unknown:
            for start in range(max(0, index - self._longest + 1), index + 1):
                for end in range(index + 1, min(len(tokens), start + self._longest) + 1):
                    hit = process.extractOne(
                        " ".join(tokens[start:end]),
                        self._phrases,
                        scorer=fuzz.ratio,
                        score_cutoff=REPAIR_PHRASE_SCORE,
                    )
                    if hit is not None and _counted(tokens[start:end]) != _counted(hit[0].split()):
                        continue  # "bedroom three vacuum" is not "Bedroom one vacuum"
                    if hit is not None and _drops_known(tokens, start, end, hit[0], unknown):
                        continue  # "dim the island light" is no "Kitchen island lights"
                    if hit is not None and (best is None or hit[1] > best[0]):
                        best = (hit[1], start, end, hit[0])
        fixed: set[int] = set()
        if best is not None:
            _, start, end, phrase = best
            repaired[start:end] = [""] * (end - start)
            repaired[start] = phrase
            fixed = set(range(start, end))
        for index in unknown:
            if index in fixed or len(tokens[index]) < 3:
                continue
            hit = process.extractOne(
                tokens[index],
                self._template_words,
                scorer=fuzz.ratio,
                score_cutoff=REPAIR_WORD_SCORE,
            )
            if hit is not None:
                repaired[index] = hit[0]
                fixed.add(index)
        if not fixed:
            return tokens if tokens != original else None
        return " ".join(repaired).split()

    def _best(self, tokens: list[str], here: str | None) -> Reading | None:
        if not tokens:
            return None
        matches = self.library.automaton.match(tokens, self.lists.spans_for(tokens))
        readings = [r for r in (self._interpret(m, here) for m in matches) if r is not None]
        readings.sort(key=lambda reading: reading.rank, reverse=True)
        fallback: Reading | None = None
        seen: set[tuple[object, ...]] = set()
        # best first; the first reading that something can carry out wins, since a reading
        # with targets always beats one without (targets are the costly part: resolve lazily)
        for index, reading in enumerate(readings):
            key = (reading.intent, tuple(sorted(map(str, reading.slots.items()))), reading.named)
            if key in seen:
                continue
            seen.add(key)
            targets = intent_targets(
                self.registry, reading.intent, reading.slots, reading.named, here
            )
            if targets or reading.intent in QUERY_INTENTS:
                narrower = self._named_within(readings[index + 1 :], reading, targets, here)
                return (
                    narrower or self._place_of(reading, here) or replace(reading, targets=targets)
                )
            if fallback is None:
                fallback = reading
        return fallback

    def _place_of(self, reading: Reading, here: str | None) -> Reading | None:
        """A name heard in its plural, "set the kitchen lights to 60 %" where the kitchen
        has "Kitchen light" and a counter light: every device of its kind there, as "turn on
        the kitchen lights" already is (Home Assistant has that template for on and off
        only). A question keeps the device named, and its answer."""
        if not reading.more or len(reading.named) != 1 or reading.intent in QUERY_INTENTS:
            return None
        entity = self.registry.get(reading.named[0])
        if entity is None or entity.area is None:
            return None
        slots = {k: v for k, v in reading.slots.items() if k != "name"}
        slots |= {"area": entity.area, "domain": entity.domain.value}
        targets = intent_targets(self.registry, reading.intent, slots, (), here)
        if len(targets) < 2 or entity.id not in targets:
            return None
        return replace(reading, slots=slots, targets=targets, named=())

    def _named_within(
        self, rest: Sequence[Reading], chosen: Reading, targets: tuple[str, ...], here: str | None
    ) -> Reading | None:
        """A reading of the same intent that names one of ``chosen``'s devices in its other
        number: "turn on the hallway light" where the hallway has "Hallway Lights" and a
        chandelier means the one so called, not both (a device too many is the wrong one)."""
        if chosen.named or len(targets) < 2:
            return None
        for reading in rest:
            if reading.intent != chosen.intent or not reading.fewer:
                continue
            own = intent_targets(self.registry, reading.intent, reading.slots, reading.named, here)
            if own and set(own) < set(targets):
                return replace(reading, targets=own)
        return None

    def _interpret(self, match: Match, here: str | None) -> Reading | None:
        """The reading a template match gives under HA's context rules, or None."""
        data = match.block.data
        requires: Mapping[str, Any] = data.requires_context or {}
        excludes: Mapping[str, Any] = data.excludes_context or {}
        slots: dict[str, SlotValue] = {}
        named: list[str] = []
        context: dict[str, Any] = {}
        if here is not None:
            context["area"] = here
        wildcards = wildcard_words = name_words = 0
        exact_name = fewer = more = False
        for capture in match.captures:
            if capture.list_name == "name":
                named = [
                    entity_id
                    for entity_id in self._names.get(tuple(capture.text.split()), [])
                    if self._fits(entity_id, requires, excludes)
                ]
                if not named:
                    return None
                name_words = len(capture.text.split())
                exact_name = not (capture.context or {}).get("variant")
                heard = capture.text.split()
                fewer = not exact_name and singular(heard[-1]) == heard[-1]
                more = not exact_name and not fewer
                entity = self.registry.get(named[0])
                if entity is not None:
                    context["domain"] = entity.domain.value
                    if entity.device_class:
                        context["device_class"] = entity.device_class
            elif capture.list_name in self.lists.wildcards:
                wildcards += 1
                wildcard_words += len(capture.text.split())
            slots[capture.slot] = capture.value
        if not _context_ok(requires, excludes, context):
            return None
        for key, value in requires.items():
            if isinstance(value, Mapping) and value.get("slot") and key not in slots:
                slot = value["slot"] if isinstance(value["slot"], str) else key
                slots[slot] = context[key]
        for key, value in data.slots.items():
            slots.setdefault(key, value)
        # hassil's ranking as Home Assistant asks for it: a spoken name first (longest),
        # then fewer wildcards, more literal words, less wildcard text
        # (a name heard in its other number, "counter light", ranks below any other reading;
        # _named_within still takes it, heard in the singular, over a reading of more devices)
        rank = (
            exact_name,
            name_words if exact_name else 0,
            -wildcards,
            match.literal_words,
            -wildcard_words,
        )
        return Reading(
            match.block.intent, slots, (), rank, tuple(named), data.response, fewer, more
        )

    def _fits(
        self, entity_id: str, requires: Mapping[str, Any], excludes: Mapping[str, Any]
    ) -> bool:
        entity = self.registry.get(entity_id)
        if entity is None:
            return False
        own = {"domain": entity.domain.value, "device_class": entity.device_class}
        for key, wanted in requires.items():
            if key in own and not _value_ok(own[key], wanted):
                return False
        for key, unwanted in excludes.items():
            if key in own and own[key] is not None and _value_ok(own[key], unwanted):
                return False
        return True


def _value_ok(actual: object, wanted: object) -> bool:
    if isinstance(wanted, Mapping):
        wanted = wanted.get("value")
    if wanted is None:
        return True
    if isinstance(wanted, str):
        return actual == wanted
    if isinstance(wanted, Sequence):
        return actual in wanted
    return actual == wanted


def _context_ok(
    requires: Mapping[str, Any], excludes: Mapping[str, Any], context: Mapping[str, Any]
) -> bool:
    """hassil's rule: excluded values must be absent, required keys present with a value."""
    for key, unwanted in excludes.items():
        value = unwanted.get("value") if isinstance(unwanted, Mapping) else unwanted
        if key in context and value is not None and _value_ok(context[key], value):
            return False
    return all(
        key in context and _value_ok(context[key], wanted) for key, wanted in requires.items()
    )
