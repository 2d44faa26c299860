"""The learned path: what to do from the sentence's meaning, to what from the home's names.

When the grammar does not match, a sentence is read in two independent halves:

1. **To what** (:mod:`edge_os.intent.mentions`): the registry's device, area and floor
   names are found in the words, weighted by how rare each word is among the home's
   names. The names found are replaced by plain words ("the light", "the room"), so
   "could you kill the porch lights" becomes "could you kill the light".
2. **What to do**: that plain sentence is embedded by the INT8 sentence encoder
   (:mod:`edge_os.intent.embed`) and a small softmax classifier over the embedding picks
   one of :data:`MEANINGS` (on, off, brighter, warmer, state question, "other", ...). The
   classifier is trained from Home Assistant's own templates filled with those plain words
   plus the sentences in ``intent/phrases/<language>.yaml`` (relative changes, indirect
   requests, and what is not a command); training takes seconds and is cached beside the
   encoder (:mod:`edge_os.intent.classifier`).

The two are joined and checked as the grammar's readings are: only devices that declare
the action, a number read from the words and never guessed, a question never read as an
action, a sentence whose own direction words contradict the reading refused, and an
ambiguous device (two names said about equally) not understood. What it reads carries
``path="model"`` and the classifier's probability as confidence; the command path asks
before acting when that is below ``intent.model_act_confidence`` and always for sensitive
devices.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from edge_os.devices.colors import COLOR_NAMES
from edge_os.devices.entity import Domain, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.compiled import said_in, words
from edge_os.intent.compound import ARTICLES, JOINERS
from edge_os.intent.compound import VERBS as COMMAND_VERBS
from edge_os.intent.grammar import (
    ASSISTANT_NAMES,
    FILLERS,
    MAX_WORDS,
    WAKE_LEADS,
    strip_wake_phrase,
)
from edge_os.intent.mentions import (
    CLOSE,
    GROUP_DOMAINS,
    NOUN_GROUPS,
    OWN_NAME_KINDS,
    WHOLE_HOME,
    Mention,
    MentionFinder,
    Mentions,
    entities_of,
    is_tv,
    singular,
)
from edge_os.intent.numbers import read_number, read_numbers
from edge_os.intent.people import FIRST_NAMES
from edge_os.intent.plain import PLACE_WORD, training_sentence
from edge_os.intent.plan import carries
from edge_os.intent.timers import read_timer
from edge_os.stages.protocols import IntentResult, SlotValue

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Meaning:
    """What one class of sentence asks for."""

    intent: str | None
    slots: Mapping[str, SlotValue] = field(default_factory=dict)
    group: str | None = None
    """Kind of device meant when none is named ("brighter": lights)."""
    value: str | None = None
    """Slot filled from a number or colour in the words."""
    query: bool = False
    """Answered in words (a question may only be read as one of these)."""
    targets: bool = True
    """Whether it acts on devices (the time does not)."""
    direction: int = 0
    """+1 up/on, -1 down/off: the sentence's own direction words may veto it."""


MEANINGS: dict[str, Meaning] = {
    "on": Meaning("HassTurnOn", direction=1),
    "off": Meaning("HassTurnOff", direction=-1),
    "toggle": Meaning("HassToggle"),
    "dark": Meaning("HassTurnOn", group="light", direction=1),
    "state": Meaning("HassGetState", query=True),
    "get_temperature": Meaning("HassClimateGetTemperature", group="climate", query=True),
    "brighter": Meaning("HassLightSet", {"brightness_step": "up"}, "light", direction=1),
    "dimmer": Meaning("HassLightSet", {"brightness_step": "down"}, "light", direction=-1),
    "warmer": Meaning("HassClimateSetTemperature", {"temperature_step": "up"}, "climate",
                      direction=1),
    "cooler": Meaning("HassClimateSetTemperature", {"temperature_step": "down"}, "climate",
                      direction=-1),
    "louder": Meaning("HassSetVolumeRelative", {"volume_step": "up"}, "media", direction=1),
    "quieter": Meaning("HassSetVolumeRelative", {"volume_step": "down"}, "media",
                       direction=-1),
    "set_brightness": Meaning("HassLightSet", group="light", value="brightness"),
    "set_color": Meaning("HassLightSet", group="light", value="color"),
    "set_color_temp": Meaning("HassLightSet", group="light", value="temperature"),
    "set_temperature": Meaning("HassClimateSetTemperature", group="climate",
                               value="temperature"),
    "set_volume": Meaning("HassSetVolume", group="media", value="volume_level"),
    "set_position": Meaning("HassSetPosition", group="cover", value="position"),
    "fan_speed": Meaning("HassFanSetSpeed", group="fan", value="percentage"),
    "pause": Meaning("HassMediaPause", group="media"),
    "resume": Meaning("HassMediaUnpause", group="media"),
    "next": Meaning("HassMediaNext", group="media"),
    "previous": Meaning("HassMediaPrevious", group="media"),
    "mute": Meaning("HassMediaPlayerMute", group="media"),
    "unmute": Meaning("HassMediaPlayerUnmute", group="media"),
    "clean": Meaning("HassVacuumStart", group="vacuum", direction=1),
    "dock": Meaning("HassVacuumReturnToBase", group="vacuum"),
    "time": Meaning("HassGetCurrentTime", query=True, targets=False),
    "date": Meaning("HassGetCurrentDate", query=True, targets=False),
    "other": Meaning(None),
}  # fmt: skip
"""Every class the reader tells apart, with the intent it stands for."""

NOUNS: dict[Domain, str] = {
    Domain.LIGHT: "light",
    Domain.SWITCH: "switch",
    Domain.FAN: "fan",
    Domain.COVER: "blinds",
    Domain.CLIMATE: "thermostat",
    Domain.LOCK: "lock",
    Domain.MEDIA_PLAYER: "speaker",
    Domain.SENSOR: "sensor",
    Domain.BINARY_SENSOR: "sensor",
    Domain.SCENE: "scene",
    Domain.SCRIPT: "script",
    Domain.VACUUM: "vacuum",
    Domain.VALVE: "valve",
}
"""The plain word that stands for a named device of each domain."""
KIND_WORDS: dict[str, str] = {
    "light": "light", "fan": "fan", "cover": "blind", "garage": "garage door", "lock": "lock",
    "media": "speaker", "tv": "speaker", "vacuum": "vacuum", "switch": "switch",
}  # fmt: skip
"""The plain word for each kind of device the classifier sees ("radio" -> "speaker");
climate words stay as said ("temperature" is not "thermostat")."""

MIN_PROBABILITY = 0.5
"""Below this the sentence is not understood. Set on ``bench/data/natural/tune.jsonl``."""
GUESSED = 0.65
"""The most a reading the words bent gets (a question read as a request, an opposite
picked from third place, a clause read without its reason): below the command path's
default act threshold (0.7), so it asks before acting."""
TIMER = 0.9
"""A timer read from a length of time and a word asking to be told (:mod:`timers`)."""
QUESTION_PROBABILITY = 0.2
"""A question whose likeliest reading is an action is read as the likeliest question when
that one has at least this probability (it only answers; it moves nothing)."""

_QUESTION_STARTS = frozenset({
    "is", "are", "was", "were", "what", "what's", "whats", "which", "who", "how", "how's",
    "hows", "does", "did", "do", "any", "has", "have", "where", "when", "why",
})  # fmt: skip
_DISCOURSE = frozenset({"so", "and", "but", "well", "okay", "ok", "um", "uh", "oh", "hey"})
_PERFECT = frozenset({"been", "you", "u", "i", "we", "they", "anyone", "anybody", "someone",
                      "somebody", "everyone"})  # fmt: skip
"""Words that make "have ..." a question ("have you", "has it been")."""


def _how_it_is(tokens: Sequence[str]) -> bool:
    """ "what's the chandelier up to", "how are the blinds", "check the lamp": its state,
    not "how do i", "how loud is it" or "what volume is it"."""
    if _DO_WORDS & set(tokens) or _ATTRIBUTES & set(tokens):
        return False
    if tokens[0] == "check":
        return True  # "check the desk light for me"
    if tokens[0] not in _HOW_STARTS:
        return False
    return tokens[0] not in {"how", "what"} or tokens[1] in {"is", "are", "'s", "state"}


_ATTRIBUTES = frozenset({"loud", "bright", "hot", "warm", "cold", "volume", "brightness",
                         "temperature", "color", "colour", "level", "song", "track", "playing",
                         "time", "much", "many", "long", "do", "can", "to", "should"})  # fmt: skip
_HOW_STARTS = frozenset({"what", "what's", "whats", "how", "how's", "hows", "where",
                         "where's", "wheres"})  # fmt: skip
_STATE_ASKING = frozenset({"is", "are", "was", "were", "has", "have", "did", "does", "do", "if",
                           "whether", "isn't", "aren't"})  # fmt: skip


def asked_as_statement(text: str) -> bool:
    """ "All the lights are off?", "the kitchen lights are on?": a state said and asked, with
    no verb that asks for it to be done ("turn it off, would you?" is a request)."""
    if not text.rstrip().endswith("?"):
        return False
    tokens = words(text)
    if _asks_past_or_why(tokens) or tokens[:1] in (["since"], ["how"], ["when"]):
        return False  # "why is the tv on?", "since when has the fan been running?"
    for index, token in enumerate(tokens):
        states = [j for j in range(index + 1, index + 4) if tokens[j : j + 1] and
                  tokens[j] in STATE_WORDS]  # fmt: skip
        if (token in {"is", "are", "still"} or token.endswith("'s")) and states:
            # "the gym light, still on?" asks too
            rest = {t for j, t in enumerate(tokens) if j not in states}
            return not (_DO_WORDS | _SWITCHING) & rest  # "is the light on, turn it off?"
    # "bathroom window locked?", "porch light on?", "loft tv playing anything?": a name
    # and a state, asked
    tokens = _without_anything(tokens)
    return (
        len(tokens) > 1
        and tokens[-1] in _ASKED_STATES
        and not (_DO_WORDS | _SWITCHING | _ASKING_TO_DO) & set(tokens[:-1])
    )


_ASKED_STATES = frozenset({"locked", "unlocked", "open", "closed", "on", "off", "playing",
                           "paused", "running"})  # fmt: skip
_ASKING_TO_DO = frozenset({"can", "could", "would", "will", "please", "you", "i", "i'd", "we",
                           "let's", "set", "make", "get", "go", "keep", "leave"})  # fmt: skip
"""Words that make a state said with a question mark a request ("can you get it on?")."""


def _without_anything(tokens: list[str]) -> list[str]:
    """``tokens`` without the "anything" a state asked may end with ("playing anything")."""
    return tokens[:-1] if len(tokens) > 2 and tokens[-1] in {"anything", "something"} else tokens


def question_form(text: str) -> str:
    """A state said and asked, as a question: "the front door is locked?" -> "is the front
    door locked", "the light's on?" -> "is the light on"."""
    tokens = words(text)
    for index, token in enumerate(tokens):
        if token in {"is", "are"}:
            return " ".join([token, *tokens[:index], *tokens[index + 1 :]])
        if token.endswith("'s") and index:
            return " ".join(["is", *tokens[:index], token[:-2], *tokens[index + 1 :]])
        if token == "still":  # "the gym light, still on?" -> "is the gym light on"
            return " ".join(["is", *tokens[:index], *tokens[index + 1 :]])
    tokens = _without_anything(tokens)  # "loft tv playing anything?" -> "is loft tv playing"
    if tokens and tokens[-1] in _ASKED_STATES:  # "bathroom window locked?"
        return " ".join(["is", *tokens])
    return text


def _tag_question(tokens: Sequence[str]) -> bool:
    """ "the heater's off, isn't it", "i locked the door, didn't i": a statement asked."""
    return len(tokens) > 3 and tokens[-2] in _TAG_VERBS and tokens[-1] in _TAG_SUBJECTS


_TAG_VERBS = frozenset({"is", "isn't", "are", "aren't", "was", "wasn't", "did", "didn't",
                        "does", "doesn't", "has", "hasn't", "have", "haven't"})  # fmt: skip
_TAG_SUBJECTS = frozenset({"it", "they", "i", "we", "he", "she", "that", "there"})
_PARTICIPLES = frozenset({"left", "shut", "put", "done", "gone", "been", "set", "run", "turned",
                          "switched", "locked", "unlocked", "closed", "opened", "started",
                          "stopped", "paused", "cleaned", "dimmed", "muted", "plugged",
                          "unplugged", "lowered", "raised", "finished", "forgotten"})  # fmt: skip
_MODALS = frozenset({"will", "would", "should", "shall", "might", "may", "must"})
_ASKED = frozenset({"you", "u", "ya", "i", "we"})
"""Who a request asks ("would you", "shall we"): with anyone else these modals ask ("will
the weather be cold"). "Can" and "could" stay requests: "can the lamp be pink now"."""
_ASKING_PHRASES = (
    ("tell", "me", "if"), ("check", "if"), ("idea", "if"), ("know", "if"), ("wondering", "if"),
    ("tell", "me", "whether"), ("check", "whether"), ("see", "if"),
)  # fmt: skip
_UP_WORDS = frozenset(
    {
        "on",
        "up",
        "enable",
        "activate",
        "start",
        "open",
        "raise",
        "brighten",
        "brighter",
        "increase",
        "louder",
        "warmer",
        "more",
        "higher",
        "lock",
        "locked",
        "opening",
        "opened",
        "secure",
        "bolt",
        "deadbolt",
        "latch",
    }
)
_DOWN_WORDS = frozenset({"off", "down", "disable", "deactivate", "kill", "shut", "stop",
                         "close", "lower", "dim", "dimmer", "decrease", "quieter", "cooler",
                         "less", "reduce", "unlock", "unlocked", "darker", "darken",
                         "dimmed", "softer", "closing", "closed", "unsecure",
                         "unbolt", "unlatch", "douse", "snuff", "extinguish",
                         "terminate", "cut", "halt"})  # fmt: skip
_NEGATIONS = frozenset({"not", "don't", "dont", "no", "never", "doesn't", "isn't", "won't"})
_LOCK_SENSE = {"open": "unlock", "opened": "unlocked", "opening": "unlock", "close": "lock",
               "closed": "lock", "closing": "lock", "shut": "lock", "release": "unlock",
               "released": "unlocked"}  # fmt: skip
"""A lock opens when it unlocks: its own direction words."""
_TOO_MUCH = frozenset({"loud", "bright", "hot", "warm", "high", "noisy", "light", "dazzling",
                       "blinding", "glaring"})  # fmt: skip
_TOO_LITTLE = frozenset({"quiet", "dark", "cold", "chilly", "low", "dim", "soft", "feeble",
                         "gloomy", "murky", "dingy"})  # fmt: skip
_GLARE = frozenset({"glare", "dazzle"})
"""Light that is too much, said as a thing: "there's too much glare on the porch"."""
STATE_WORDS: dict[str, str] = {
    "on": "on", "active": "on", "lit": "on", "shining": "on", "powered": "on", "running": "on",
    "spinning": "on", "whirling": "on", "working": "on", "glowing": "on", "enabled": "on",
    "illuminated": "on", "lighted": "on", "burning": "on", "going": "on", "operating": "on",
    "operational": "on", "functioning": "on", "humming": "on", "whirring": "on",
    "blowing": "on", "rotating": "on", "activated": "on", "energized": "on", "live": "on",
    "started": "on", "engaged": "on",
    "off": "off", "inactive": "off", "deactivated": "off", "disabled": "off", "dark": "off",
    "unlit": "off", "unpowered": "off", "stopped": "off", "resting": "off", "asleep": "off",
    "sleeping": "off", "dormant": "off", "extinguished": "off", "disengaged": "off",
    "open": "open", "opened": "open", "unsealed": "open", "up": "open", "raised": "open",
    "ajar": "open", "lifted": "open", "retracted": "open",
    "closed": "closed", "shut": "closed", "down": "closed", "lowered": "closed",
    "sealed": "closed",
    "locked": "locked", "bolted": "locked", "secure": "locked", "secured": "locked",
    "latched": "locked", "fastened": "locked", "deadbolted": "locked",
    "unlocked": "unlocked", "unbolted": "unlocked", "unsecured": "unlocked",
    "unlatched": "unlocked", "unfastened": "unlocked",
    "playing": "playing", "streaming": "playing", "paused": "paused", "idle": "idle",
    "standby": "standby",
    "cleaning": "cleaning", "vacuuming": "cleaning", "sweeping": "cleaning",
    "hoovering": "cleaning", "docked": "docked", "charging": "docked", "parked": "docked",
    # Home Assistant's states on the way from one to the other
    "opening": "opening", "closing": "closing", "locking": "locking", "unlocking": "unlocking",
    "jammed": "jammed", "stuck": "jammed",
}  # fmt: skip
"""Words of a yes/no question that name the state asked about (HA's state names)."""
_DOMAIN_STATES: dict[Domain, frozenset[str]] = {
    Domain.LOCK: frozenset(
        {"locked", "unlocked", "open", "opening", "locking", "unlocking", "jammed"}
    ),
    Domain.COVER: frozenset({"open", "closed", "opening", "closing"}),
    Domain.MEDIA_PLAYER: frozenset({"on", "off", "playing", "paused", "idle", "standby"}),
    Domain.VACUUM: frozenset({"cleaning", "docked", "idle", "paused"}),
}
_LOCK_STATE_OF = {"on": "locked", "off": "unlocked", "closed": "locked"}
_VACUUM_STATE_OF = {"on": "cleaning", "off": "docked"}


_MUTE_OFF = (("off", "mute"), ("un", "mute"), ("mute", "off"))
"""Words that take a speaker off mute."""


def is_question(tokens: Sequence[str]) -> bool:
    """Whether the sentence asks rather than tells ("is the lamp on?", "check if ...").

    A question mark alone does not tell: "get the vacuum going, would you?" is a request."""
    while tokens and tokens[0] in _DISCOURSE:
        tokens = tokens[1:]  # "so is the gate open"
    if not tokens:
        return False
    if _tag_question(tokens):
        return True  # "the patio heater's off, isn't it"
    if tokens[0] in {"have", "has"}:
        # "have the lights been left on", "have the kids switched off the tv" ask; "have the
        # vacuum go home" tells
        return bool(_PERFECT & set(tokens[1:]) or _PARTICIPLES & set(tokens[2:6]))
    if tokens[0] in _QUESTION_STARTS or tokens[:2] in (["check", "the"], ["check", "on"]):
        return True
    if tokens[0] in {"should", "shall"} and tokens[1:2] in (["i"], ["we"]):
        return True  # "should i turn the heating up" asks for advice
    if tokens[0] in _MODALS and tokens[1:2] and tokens[1] not in _ASKED:
        # "will the weather be cold", not "will you close the blinds"
        return tokens[1:4] != ["it", "be", "possible"]
    joined = f" {' '.join(tokens)} "
    return any(f" {' '.join(p)} " in joined for p in _ASKING_PHRASES)


@dataclass(frozen=True)
class Targeting:
    """The devices a reading acts on, and how they were named."""

    entities: tuple[Entity, ...]
    slots: dict[str, SlotValue]
    score: float
    used: frozenset[int]
    """Word indices that named them."""
    alternatives: tuple[Entity, ...] = ()
    """Devices named about equally well (when ``entities`` is empty): which one is asked."""


class Reader:
    """IntentRecognizer: the learned path (mentions + meaning classifier)."""

    def __init__(
        self,
        registry: DeviceRegistry,
        encoder: Any,
        classifier: Any,
        here: str | None = None,
        *,
        min_probability: float = MIN_PROBABILITY,
    ) -> None:
        self.registry = registry
        self.encoder = encoder
        self.classifier = classifier
        self.here = here
        self.min_probability = min_probability
        self.finder = MentionFinder(registry)

    @classmethod
    def load(
        cls,
        registry: DeviceRegistry,
        model_dir: Path,
        here: str | None,
        *,
        language: str = "en",
        threads: int = 1,
    ) -> Reader:
        """The reader over ``registry`` with the encoder built in ``model_dir`` (the
        classifier is trained on first use and cached there)."""
        from edge_os.intent.classifier import load_or_train
        from edge_os.intent.embed.encoder import SentenceEncoder

        encoder = SentenceEncoder.load(model_dir, threads=threads)
        classifier = load_or_train(encoder, model_dir / "index-cache", language)
        return cls(registry, encoder, classifier, here)

    def recognize(
        self, text: str, *, area: str | None = None, context: Sequence[str] = ()
    ) -> IntentResult:
        """The reading of ``text``, or not understood (never raises for a sentence).

        ``context`` holds the devices the conversation was last about: a sentence that
        names none ("turn it off", "brighter") acts on those of them that can do it.
        A request said with its reason ("put the patio light on, we're eating outside")
        is read without the reason when the whole is not understood, if the reason asks
        for nothing and takes nothing back."""
        started = time.perf_counter()
        if (timer := self._timer(text)) is not None:
            latency_ms = (time.perf_counter() - started) * 1000
            return IntentResult(text, "HassStartTimer", timer, (), TIMER, "model", latency_ms)
        result = self._read(text, area, context)
        if result.understood or len(words(text)) > MAX_WORDS:
            return result
        for clause in [] if self.called_by_name(text) else request_clauses(text)[:MAX_CLAUSES]:
            place = place_of_reason(self.finder, text, clause)
            if place == "":
                continue
            part = self._read(clause, place or area, context, place_said=bool(place))
            if part.understood:
                return _bent(part, text, started)
        if (head := self.request_first(text)) is not None:
            part = self._read(head, area, context)
            if part.understood:
                return _bent(part, text, started)
        return result

    def request_first(self, text: str) -> str | None:
        """The request that ``text`` says first, without a break before what it says next,
        when the rest names no device or place and asks for nothing: "put the nightlight on
        for the little one", "can we have the outdoor fan on the bugs are bad tonight".
        None when the whole sentence, read as the request, would be refused for anything
        but being unsure (a question, a time to come, a condition, a taking back)."""
        tokens = _uninterrupted(self.unaddressed(strip_wake_phrase(words(text))))
        if len(tokens) > MAX_WORDS or set(tokens) & (_TAKING_BACK | _NEGATIONS):
            return None
        whole = self.finder.find(tokens)  # once: where each device, place and kind was said
        places = [m.positions for m in (*whole.entities, *whole.areas, *whole.floors)]
        tried = 0
        for at in range(len(tokens) - 2, 1, -1):  # the longest request first
            head, rest = tokens[:at], tokens[at:]
            if rest[0] not in _REST_STARTS or head[-1] in _REST_STARTS | _LINKS | _CUT_OFF:
                continue
            if _asking_words(rest) & _REQUEST_WORDS:
                continue
            if rest[0] in _DETERMINERS and not any(
                t in _BEING_WORDS or t.endswith(("'s", "ing")) for t in rest[1:]
            ):
                continue  # "fire up the jacuzzi": what follows is what the request is of
            if any(max(p) >= at for p in places) or any(i >= at for i in whole.kinds):
                continue  # the rest names a device, a place or a kind of device
            if not any(max(m.positions) < at for m in whole.entities):
                continue
            name, meaning, _ = self.classify(head, self.finder.find(head))
            tried += 1
            # a request, not a question: "is the nightlight on for ..." asks
            asks = meaning.intent is not None and not meaning.query
            if asks and not self.refusal(tokens, whole, name, 1.0):
                return " ".join(head)
            if tried == MAX_CLAUSES:
                return None
        return None

    def _timer(self, text: str) -> dict[str, SlotValue] | None:
        """The timer ``text`` asks for by its length ("give me a shout in half an hour"),
        if it names no device: with one, a time is a request for later."""
        tokens = self.unaddressed(strip_wake_phrase(words(text)))
        if len(tokens) > MAX_WORDS or (timer := read_timer(tokens)) is None:
            return None
        if _REPORTING & set(tokens):
            return None  # "the timer went off ten minutes ago"
        found = self.finder.find(tokens)
        if found.entities or found.kinds or found.areas:
            return None
        return dict(timer)

    def _read(
        self, text: str, area: str | None, context: Sequence[str], *, place_said: bool = False
    ) -> IntentResult:
        """:meth:`recognize` of one clause; ``place_said``: ``area`` is a room the sentence
        names (in its reason), not only where it was heard."""
        started = time.perf_counter()
        here = area or self.here
        tokens = self.finder.compounds(
            _off_misheard(_uninterrupted(self.unaddressed(strip_wake_phrase(words(text)))))
        )
        if not tokens or len(tokens) > MAX_WORDS:
            return IntentResult(text, None, path="model")
        tokens, found = self._numbers_named(tokens, self._find(tokens))
        name, meaning, probability = self._told(text, found, self.classify(tokens, found))

        def unsure(why: str) -> IntentResult:
            _LOGGER.info("%r: read as %s at %.2f, %s", text, name, probability, why)
            latency_ms = (time.perf_counter() - started) * 1000
            return IntentResult(text, None, path="model", latency_ms=latency_ms)

        refused = self.refusal(tokens, found, name, probability) or (
            "it is said to someone called by name" if self.called_by_name(text) else None
        )
        if refused is not None:
            return unsure(refused)
        name, meaning, step = _volume_step(tokens, name, meaning)
        slots: dict[str, SlotValue] = {**meaning.slots, **step}
        if meaning.value is not None:
            if (value := _value(meaning.value, tokens)) is None:
                return unsure(f"no single {meaning.value} in the words")
            slots.update({meaning.value: value, **_level_with_colour(tokens, meaning)})
        entities: tuple[Entity, ...] = ()
        score = 1.0
        if meaning.targets:
            targeting = (
                None  # "set it to five", with nothing before it to say what
                if _bare_value(tokens, found, meaning, context)
                else self.target(found, meaning, here, place_said=place_said)
            )
            if context and not (found.entities or found.areas or found.floors):
                targeting = self.in_context(context, meaning, slots) or targeting
            if targeting is None and name in {"warmer", "cooler"}:
                # "the office is cold" where a heater on a switch is all the office has,
                # "it's stuffy in the bedroom" where it has a fan
                (targeting, meaning), slots = self.comfort(name, found, here), {}
            if targeting is None:
                return unsure("no device named, and none of its kind here")
            if targeting.alternatives:
                able = _state_fits(tokens, meaning, tuple(
                    e for e in targeting.alternatives if carries_or_answers(meaning, e, slots)
                ))  # fmt: skip
                if len(able) == 1:  # only one of them can do it: that is the one meant
                    targeting = Targeting(able, {"name": able[0].name}, targeting.score,
                                          targeting.used)  # fmt: skip
                elif not able:
                    return unsure("none of the devices named can do it")
                elif _naming(tokens, self.unknown_words(tokens, targeting.used), targeting.used):
                    # "the skylight in the attic": not a question of which attic device
                    return unsure("it names a device this home does not have")
                else:
                    return _which(text, meaning.intent, slots, probability, started=started,
                                  alternatives=tuple(e.id for e in able))  # fmt: skip
            if (misnamed := self._misnamed(tokens, found, targeting, meaning)) is not None:
                return unsure(misnamed)
            if self._one_of_several(tokens, found, targeting, meaning):
                named = _named_whole(tokens, targeting.entities) or _named_by_noun(
                    tokens, found, targeting.entities
                )
                if named is not None:
                    # "the fan in the garage": of the garage's fans, the one called Garage Fan
                    targeting = Targeting((named,), {"name": named.name}, targeting.score,
                                          targeting.used)  # fmt: skip
                elif not all(e.domain is Domain.LIGHT for e in targeting.entities):
                    # "the light" of a room is its lighting, all of it, as HA reads it
                    return unsure("it asks for one device and several fit")
            able = tuple(e for e in targeting.entities if carries_or_answers(meaning, e, slots))
            if (beyond := _beyond(tokens, able)) is not None:
                return unsure(beyond)
            entities, score = able, targeting.score
            slots.update(targeting.slots)
            name, meaning, probability = _pulled(tokens, name, meaning, probability, entities)
            slots.update({k: v for k, v in meaning.slots.items() if k not in slots})  # bent
            name, meaning = _halfway(tokens, name, meaning, slots, entities)  # takes a slot
            if meaning.intent == "HassGetState" and (
                state := _asked_state(tokens, targeting.used, entities)
            ):
                slots["state"] = state
            if alike := self._said_alike(tokens, found, targeting, meaning, slots):
                # "the dining light": Dining room light or Dining table light; asked
                return _which(text, meaning.intent, {k: v for k, v in slots.items() if k != "name"},
                              probability * score, started=started, alternatives=alike)  # fmt: skip
        latency_ms = (time.perf_counter() - started) * 1000
        return IntentResult(
            text,
            meaning.intent,
            slots,
            tuple(e.id for e in entities),
            round(probability * score, 3),
            "model",
            latency_ms,
        )

    def _told(
        self, text: str, found: Mentions, reading: tuple[str, Meaning, float]
    ) -> tuple[str, Meaning, float]:
        """``reading``, or the state wanted when a state reading was told, not asked:
        "master bedroom blinds down", "the radio in the laundry room off" (asked first)."""
        name, _, probability = reading
        first = self.registry[found.entities[0].id].domain if found.entities else None
        wanted = _state_wanted(found.tokens, found, first) if name == "state" else None
        if wanted is None or text.rstrip().endswith("?"):
            return reading
        return wanted, MEANINGS[wanted], min(max(probability, self.min_probability), GUESSED)

    def classify(self, tokens: Sequence[str], found: Mentions) -> tuple[str, Meaning, float]:
        """The most likely class of the sentence with its names made plain: see
        :meth:`_classify`. "All the way up" and "full brightness" are the top, not a step
        towards it."""
        name, meaning, probability = self._classify(tokens, found)
        if (
            name == "toggle"
            and (way := _direction_said(tokens, found))
            and not {"toggle", "flip"} & set(tokens)
        ):
            # "switch the fan on in the office": on, said; a toggle could turn it off
            name = "on" if way > 0 else "off"
            meaning = MEANINGS[name]
        elif name in _LESS_OF and any(said_in(tokens, ("less", w)) for w in _LESS_OF[name][0]):
            name = _LESS_OF[name][1]  # "a little less dim": brighter
            meaning = MEANINGS[name]
        elif (
            name == "clean"
            and tokens[:1] in (["is"], ["are"])
            and {"cleaning", "vacuuming", "running", "going"} & set(tokens[2:])
        ):
            name, meaning = "state", MEANINGS["state"]  # "is bb8 cleaning right now"
        elif name == "brighter" and any(said_in(tokens, (v, "up")) for v in _STARTING):
            name, meaning = "on", MEANINGS["on"]  # "fire up the gym light": on
        elif (
            name in _STEPS_INSTEAD
            and meaning.value is not None
            and _value(meaning.value, tokens) is None
            and not any(read_numbers(tokens, i) for i in range(len(tokens)))
            and (way := _direction_said(tokens, found))
        ):  # "reduce the brightness in the living room": a step, no value to set
            name = _STEPS_INSTEAD[name][way > 0]
            meaning = MEANINGS[name]
        unwanted = _unwanted(tokens)
        if name in {"on", "off"} and unwanted and unwanted != meaning.direction:
            # "the driveway light doesn't need to be on": off, asked first
            name = "on" if unwanted > 0 else "off"
            meaning, probability = MEANINGS[name], max(probability, self.min_probability)
            probability = min(probability, GUESSED)
        felt, dark = _felt(tokens), _felt_dark(tokens)
        unsure = (
            probability < self.min_probability
            and not self._names_a_device(found)
            and not is_question(tokens)
        )
        if felt and unsure:
            # "bit nippy in here innit", "i'm melting in the office": the classifier unsure
            # of what, the words say cold or hot; asked first
            name, probability = _TEMPERATURE_WAY[felt], self.min_probability
            meaning = MEANINGS[name]
        elif dark and unsure:
            # "the basement is pitch dark", "the hallway's glaring": the words say which way
            name, probability = ("dark" if dark > 0 else "dimmer"), self.min_probability
            meaning = MEANINGS[name]
        if name in {"warmer", "cooler"} and felt and felt != meaning.direction:
            # "I'm melting" is too hot, though it embeds near "I'm freezing": the words say
            # which way, asked first
            name = _TEMPERATURE_WAY[felt]
            meaning, probability = MEANINGS[name], min(probability, GUESSED)
        if (kept := self._verb_for_kind(tokens, found)) is not None:
            # "park the garden vacuum", "put the tv on hold": a verb only one reading of
            # that kind of device has
            name, meaning = kept, MEANINGS[kept]
            probability = max(min(probability, GUESSED), self.min_probability)
        if name == "mute" and any(said_in(tokens, pair) for pair in _MUTE_OFF):
            name, meaning = "unmute", MEANINGS["unmute"]  # "take it off mute", "mute off tv"
        if name == "toggle" and (way := _flipped_way(tokens)):
            # "flip on the art studio spotlights", "flip the wemo on": that way
            name = "on" if way > 0 else "off"
            meaning = MEANINGS[name]
        if self._level_of_a_light(tokens, found) and name in _LEVEL_MISREAD:
            # "dining room lights to half", "fifty on the office light", "put the reading
            # lamp at half": a level said of lights sets their brightness
            return (
                "set_brightness",
                MEANINGS["set_brightness"],
                max(probability if name == "set_brightness" else 0.0, self.min_probability),
            )
        if _full(tokens) and (name == "brighter" or (name == "on" and _LIGHT_WORDS & set(tokens))):
            return "set_brightness", MEANINGS["set_brightness"], probability
        if _full(tokens, least=True) and name == "dimmer":  # "as low as it goes"
            return "set_brightness", MEANINGS["set_brightness"], probability
        return name, meaning, probability

    def _verb_for_kind(self, tokens: Sequence[str], found: Mentions) -> str | None:
        """The reading a verb has for the kind of device named, if it has one: "park" and
        "recall" a vacuum dock it, "set off" starts it, "on hold" pauses a player, "report
        on" asks how any device is."""
        if is_question(tokens) and "report" not in tokens:
            return None
        if found.entities:
            domain = self.registry[found.entities[0].id].domain
        elif len(found.groups) == 1 and len(GROUP_DOMAINS[next(iter(found.groups))]) == 1:
            domain = next(iter(GROUP_DOMAINS[next(iter(found.groups))]))  # "park the hoover"
        else:
            return None
        said = [t for t in tokens if t not in FILLERS and t not in _BEFORE_VERB]
        if said[:2] in (["report", "on"], ["report", "back"]) or any(
            said_in(tokens, p) for p in (("an", "update", "on"), ("a", "report", "on"))
        ):
            return "state"  # "report on the living room vacuum": how it is, nothing done
        if (
            domain is Domain.COVER
            and (way := _cover_verb_way(said))
            and _value("position", tokens) is None
            and not {"half", "halfway", "partly", "partway", "bit"} & set(tokens)
        ):
            return "on" if way > 0 else "off"  # "draw back the blinds", "drop the garage door"
        if domain is Domain.LOCK and (
            said[:3] == ["open", "the", "lock"]
            or said[:3] in (["let", "me", "in"], ["let", "me", "into"])
        ):
            return "off"  # "open the lock on the shed door", "let me into the library": unlock
        if domain is Domain.VACUUM and said[:1] in (["park"], ["recall"]):
            return "dock"
        if domain in {Domain.LIGHT, Domain.SWITCH} and (
            said[:1] == ["douse"] or said[:2] in (["turn", "out"], ["snuff", "out"])
        ):
            return "off"  # "douse the island light", "turn out the bedside lamp"
        if domain is Domain.VACUUM and (
            said[:1] in (["dispatch"], ["deploy"])
            or said[:2] == ["set", "off"]
            or (said[-1:] == ["loose"] and said[:1] in (["let"], ["turn"], ["set"]))
        ):
            return "clean"  # "set off the living room vacuum": it goes, nothing turns off
        if domain is Domain.MEDIA_PLAYER and (
            said_in(tokens, ("on", "hold")) or said[:1] == ["hold"]
        ):
            return "pause"  # "put the tv on hold", "hold the music, i'm on the phone"
        return None

    def _names_a_device(self, found: Mentions) -> bool:
        """Whether a device is named beyond the words of the room said ("the office" is the
        Office Light's word, and names the room)."""
        if not found.entities:
            return False
        room = set(found.areas[0].positions) if found.areas else set()
        return not found.entities[0].positions <= room

    def _level_of_a_light(self, tokens: Sequence[str], found: Mentions) -> bool:
        """Whether the sentence gives one brightness level ("to half", "at 25 percent",
        "fifty on ...", never "by" one nor "half as bright") of lights only, and no colour,
        and asks nothing."""
        if _RELATIVE_LEVEL & set(tokens) or is_question(tokens) or _value("color", tokens):
            return False
        if _value("brightness", tokens) is None:
            return False
        if found.entities:  # those named about as well as the best
            top = found.entities[0].score - CLOSE
            named = [m for m in found.entities if m.score >= top]
            return all(self.registry[m.id].domain is Domain.LIGHT for m in named)
        return bool(_LIGHT_WORDS & set(tokens))

    def _classify(self, tokens: Sequence[str], found: Mentions) -> tuple[str, Meaning, float]:
        """The most likely class of the sentence with its names made plain.

        When the runner-up means the opposite ("louder" against "quieter") and is not far
        behind, the probability returned is the margin between them: opposites embed close
        together, so a near tie is no reading at all."""
        plain = training_sentence(self.plain_words(tokens, found))
        ranked = self.classifier.ranked(self.encoder.encode([plain])[0])
        if found.entities and found.areas and not self._names_a_device(found):
            # the room's words name a device of it too: read as the room ("clean the living
            # room") or as that device ("brighten up the kitchen"), whichever is surer
            room = training_sentence(self.plain_words(tokens, found, as_place=True))
            if room != plain:
                other = self.classifier.ranked(self.encoder.encode([room])[0])
                ranked = other if other[0][1] > ranked[0][1] else ranked
        top, likely = ranked[0]
        cap = 1.0
        asked = MEANINGS[top].query and likely >= self.min_probability
        if is_question(tokens) and found.entities and _how_it_is(tokens) and not asked:
            # "what's the chandelier up to", "check the lamp for me": its state
            return "state", MEANINGS["state"], self.min_probability
        if is_question(tokens) and not MEANINGS[ranked[0][0]].query:
            # a question is only ever read as a question: the likeliest one, if any is likely
            asked = [(c, p) for c, p in ranked if MEANINGS[c].query or c == "other"]
            label, probability = asked[0]
            if probability >= QUESTION_PROBABILITY and label != "other":
                return label, MEANINGS[label], max(probability, self.min_probability)
        if MEANINGS[top].query and not is_question(tokens) and _tells(tokens, found):
            # "can you unlock the door, my friends are here" tells: no question is read
            # into a sentence that does not ask one, and asks for something to be done
            told = [(c, p) for c, p in ranked if not MEANINGS[c].query]
            rest = sum(p for _, p in told) or 1.0
            ranked = [(c, p / rest) for c, p in told]
            cap = GUESSED
        way = _turned_up_or_down(tokens)
        if way and ranked[0][0] in _SETTINGS_OF and not (_numbered(tokens) or _full(tokens)):
            # "turn the greenhouse radio up a notch": no value to set, so a step that way
            steps = [(c, p) for c, p in ranked if c in _STEPS and MEANINGS[c].direction == way]
            if steps and MEANINGS[steps[0][0]].group == MEANINGS[ranked[0][0]].group:
                mass = min(ranked[0][1] + steps[0][1], GUESSED)
                taken = (steps[0][0], ranked[0][0])
                ranked = [(steps[0][0], mass), *[r for r in ranked if r[0] not in taken]]
        if way and ranked[0][0] in _STEPS | {"on", "off"}:
            # "turn the lights down" dims them: "turn" with "up" or "down" is a step, and
            # what the classifier gave to on or off that way goes to it
            steps = [c for c, _ in ranked if c in _STEPS and MEANINGS[c].direction == way]
            switch = "on" if way > 0 else "off"
            mass = sum(p for c, p in ranked if c in (steps[0], switch)) if steps else 0.0
            if steps and mass > ranked[0][1]:
                ranked = [(steps[0], mass),
                          *[r for r in ranked if r[0] not in (steps[0], switch)]]  # fmt: skip
        (label, probability), (second, runner_up), *rest = ranked
        meaning, other = MEANINGS[label], MEANINGS[second]
        third = rest[0] if rest else ("other", 0.0)
        if meaning.direction and meaning.direction == -MEANINGS[third[0]].direction != (
            -other.direction
        ):
            way = _direction_said(tokens, found)
            if way and way != meaning.direction:
                # "i want the gate locked" read as unlock: the words pick the opposite
                return third[0], MEANINGS[third[0]], min(probability + third[1], GUESSED)
        if meaning.direction and meaning.direction == -other.direction:
            way = _direction_said(tokens, found)
            if way:  # "dim the lamp a little": the words settle which of the two it is
                if way != meaning.direction:
                    label, meaning = second, other
                return label, meaning, min(probability + runner_up, cap)
            probability -= runner_up
        return label, meaning, min(probability, cap)

    def refusal(
        self, tokens: Sequence[str], found: Mentions, name: str, probability: float
    ) -> str | None:
        """Why the sentence, read as ``name``, must not be acted on or answered (None: it
        may, if its devices are found)."""
        meaning = MEANINGS[name]
        if meaning.intent is None:
            return "not a command"
        if probability < self.min_probability:
            return "not sure enough"
        if name == "set_temperature" and _by_amount(tokens) and not _degrees_by(tokens):
            # "raise the temperature by 30": a step too big to take, never a setting of 30
            return "it asks for a step of more degrees than edge-os takes"
        if is_question(tokens) and not meaning.query:
            return "a question is never an action"
        if meaning.intent == "HassGetCurrentTime" and not (
            _TIME_WORDS & set(tokens) or is_question(tokens)
        ):
            return "it says how late it is, and asks nothing"  # "i know it's late"
        if meaning.intent == "HassGetCurrentTime" and {"was", "did"} & set(tokens):
            return "it asks the time of something past"  # "what was the time when i got home"
        if _on_condition(tokens):
            return "it asks on a condition"  # "when you hear the car, open the garage"
        if meaning.intent == "HassGetState" and said_in(tokens, ("how", "long")):
            return "it asks for how long, which edge-os does not keep"
        if meaning.query and _asks_past_or_why(tokens):
            return "it asks about the past or why, which edge-os does not keep"
        if _contradicts(tokens, meaning, found):
            return "its own words say the opposite"
        if not meaning.query and (why := _not_for_its_kind(tokens, found, name)):
            return why
        if not meaning.query and forbids(tokens):
            return "it asks for something not to be done"
        if tokens[-1] in _CUT_OFF or _cut_before_value(tokens, found, meaning):
            return "it stops mid-sentence"  # "lock the", "set the bedside lamp to"
        if (why := _not_asked_now(tokens, found)) is not None:
            return why
        if not meaning.query and both_ways(tokens):
            return "it asks for a thing and its opposite"  # "turn the lamp on and off"
        if meaning.intent == "HassGetState" and self._lock_of_no_lock(tokens, found):
            return "it asks if something with no lock is locked"  # "is the office locked"
        if self._part_named(tokens, found) or self._other_kind_named(tokens, found):
            # "the office fan light"; "the music room vacuum" for the Music Room Lock
            return "it names a part of a device, or a kind the device is not"
        if "play" in tokens and self._plays_unknown(tokens, found):
            return "it asks to play something edge-os cannot choose"  # "play coldplay on ..."
        if name in {"on", "off"} and _part_way(tokens, found):
            return "it asks to open or close only part of the way"  # "crack the blinds open"
        if not meaning.query and _several(tokens):
            return "it asks for several things, read one by one or not at all"
        if not meaning.query and _reports(tokens):
            return "it tells what was or what someone said, and asks nothing"
        if addressed_to_someone(tokens):
            return "it is said to someone in the room"
        if not meaning.query and any(said_in(tokens, back) for back in _TAKEN_BACK):
            return "it takes the request back"
        if not meaning.query and sarcastic(tokens):
            return "it is said in sarcasm"
        if (why := self._quantity_misread(tokens, found, name, meaning)) is not None:
            return why
        if (
            name == "set_position"
            and said_in(tokens, ("of", "the", "way"))
            and (_DOWN_WORDS & set(tokens))
        ):
            return "it says how far to close, not where to"  # "three quarters of the way"
        if not meaning.query and _leaving(tokens):
            return "it tells someone to leave"  # "run! get out of the house"
        if name in {"on", "off", "toggle"} and self._colour_said(tokens, found):
            return "it asks for a colour, which on or off would not give"
        if not meaning.query and _priced(tokens):
            return "it tells a price or a size, not a setting"  # "we paid forty quid for it"
        if not meaning.query and found.entities and _left(tokens, found.entities[0]):
            return "the device it names is the one to leave as it is"
        if not meaning.query and _kept(tokens):
            return "it asks for nothing to change"  # "no, leave the blinds open"
        if not meaning.query and tokens[-1] in _SELF:
            return "the speaker will do it"  # "i'll switch the porch light off myself"
        if not meaning.query and tokens[:2] in _SHOULD:
            return "it says what should be done"  # "we should really lock the front door"
        if meaning.targets and _owned_elsewhere(tokens, found):
            return "it is about someone's own device, not one of the home's"  # "my phone"
        if meaning.targets and not meaning.query and _later(tokens, meaning.value is not None):
            return "it asks for later, and edge-os only acts now"
        if (
            not meaning.query
            and _FORECASTS & set(pairwise(tokens))
            and not _asks_for_action(
                [("" if (t, u) == ("going", "to") else t) for t, u in pairwise([*tokens, ""])],
                found,
            )
        ):  # "going to be" is no "get it going"
            return "it tells what will be, and asks nothing"  # "it'll be dark by six"
        if (
            not meaning.query
            and _NEEDED_LATER & set(pairwise(tokens))
            and not (_DO_WORDS | _SWITCHING) & set(tokens)
        ):
            return "it tells what will be needed, and asks nothing"
        if name in {"on", "off"} and _already(tokens, meaning.direction):
            return "it says things are already so"  # "oh great, the lights are off again"
        if name in {"on", "off", "toggle"} and not _asks_for_action(tokens, found):
            return "no word of it asks for anything to be done"
        if name in {"on", "off", "toggle"} and _MORE_OR_LESS & set(tokens):
            return "it asks for more or less of something, not on or off"  # "stronger"
        if not meaning.query and _SETTINGS & set(tokens):
            return "it asks for a setting no device here declares"  # "max suction"
        if name in {"on", "off", "toggle"} and self._fan_speed_said(tokens, found):
            return "it asks for a speed, which on or off would not give"  # "office fan on high"
        if not meaning.query and _habit(tokens):
            return "it tells a habit or a liking, and asks nothing"  # "i usually have ..."
        if meaning.direction and _no_way(tokens):
            return "it does not say which way"  # "turn the volume"
        if meaning.targets and self._placed_by(tokens, found):
            return "it names a device by another one near it"  # "the light above the door"
        unknown = self.unknown_words(tokens, frozenset())
        if not meaning.targets and (
            found.entities or _naming(tokens, unknown, frozenset()) or _elsewhen(tokens)
        ):  # "what's the time, I wanna watch cartoons" asks the time here
            return "it asks about another place or day"  # or about a device: "coffee time"
        if name == "get_temperature" and _OUTDOORS & set(tokens) and not found.entities:
            return "it asks about outdoors, where nothing here measures"
        return None

    def _quantity_misread(
        self, tokens: Sequence[str], found: Mentions, name: str, meaning: Meaning
    ) -> str | None:
        """Why the quantity the reading sets is not the one said, if it is not."""
        if name == "set_volume" and not self._of_sound(tokens, found):
            return "it gives a level and says nothing of sound"  # "the office dimmer to 40"
        if not meaning.query and _other_quantity(tokens, meaning):
            return "it asks for a quantity the devices of the reading do not have"
        return None

    def _of_sound(self, tokens: Sequence[str], found: Mentions) -> bool:
        """Whether a word says the level is of sound, or a media player is named."""
        if _SOUND_WORDS & set(tokens) or "media" in found.groups or "tv" in found.groups:
            return True
        return bool(found.entities) and self.registry[found.entities[0].id].domain is (
            Domain.MEDIA_PLAYER
        )

    def _colour_said(self, tokens: Sequence[str], found: Mentions) -> bool:
        """ "patio string lights teal please" where they are a switch: a colour said after a
        name or "to"."""
        named = _named_positions(found)
        return any(
            t in COLOR_NAMES and i not in named and (i - 1 in named or tokens[i - 1] == "to")
            for i, t in enumerate(tokens)
            if i
        )  # not "turn the sprinklers on the lawn is looking brown"

    def _plays_unknown(self, tokens: Sequence[str], found: Mentions) -> bool:
        """ "play coldplay", "play the beatles on the speaker": what to play, named by a word
        edge-os does not know (not "play the bathroom audio again": a player's name)."""
        after = tokens.index("play") + 1
        while after < len(tokens) and tokens[after] in {"the", "some", "a", "an"}:
            after += 1
        named = frozenset().union(*(m.positions for m in (*found.entities[:1], *found.areas[:1])))
        return after in self.unknown_words(tokens, named)

    def _fan_speed_said(self, tokens: Sequence[str], found: Mentions) -> bool:
        """ "office fan on high", "set the shed fan to medium": a speed said of a fan (on or
        off would not be what was asked; a fan that declares a percentage takes the speed)."""
        if not _SPEED_WORDS & set(tokens):
            return False
        fans = [self.registry[m.id] for m in found.entities[:1]]
        if not fans and "fan" in found.groups:
            fans = entities_of(self.registry, "fan", None, whole_home=True)
        return bool(fans) and all(e.domain is Domain.FAN for e in fans)

    def _placed_by(self, tokens: Sequence[str], found: Mentions) -> bool:
        """ "the light above the front door": a kind said, then where it is by the name of a
        device of another kind (the Front door lock is not that light)."""
        if not found.entities:
            return False
        best = found.entities[0]
        start = min(best.positions)
        before = [t for t in tokens[max(0, start - 3) : start] if t not in {"the", "my", "our"}]
        if not before or before[-1] not in _NEAR:
            return False
        domain = self.registry[best.id].domain
        return any(
            index < start and domain not in GROUP_DOMAINS[group]
            for index, group in found.kinds.items()
        )

    def _lock_of_no_lock(self, tokens: Sequence[str], found: Mentions) -> bool:
        """ "is the office locked" where "office" names the Office Light: no answer of it
        is one."""
        if not found.entities:
            return False  # "are the doors locked": the kind says which
        named = _named_positions(found)
        said = {t for i, t in enumerate(tokens) if i not in named and t in _LOCKING}
        return bool(said) and not any(
            self.registry[m.id].domain is Domain.LOCK for m in found.entities
        )

    def _part_named(self, tokens: Sequence[str], found: Mentions) -> bool:
        """ "turn on the office fan light": a light word right after the name of a device
        that is no light (a fan's light is not the fan)."""
        after = _after_name(tokens, found)
        return (
            after is not None
            and tokens[after] in _LIGHT_PARTS
            and self.registry[found.entities[0].id].domain not in {Domain.LIGHT, Domain.SWITCH}
        )

    def _other_kind_named(self, tokens: Sequence[str], found: Mentions) -> bool:
        """ "start the music room vacuum" where the music room has a lock called Music Room
        Lock and no vacuum: a vacuum or a fan said right after a name, and the device so
        named is neither."""
        after = _after_name(tokens, found)
        domain = _KIND_DOMAINS.get(found.kinds.get(after, "")) if after is not None else None
        return domain is not None and self.registry[found.entities[0].id].domain is not domain

    def plain_words(
        self, tokens: Sequence[str], found: Mentions, *, as_place: bool = False
    ) -> list[str]:
        """``tokens`` with the best device name and place replaced by plain words.
        ``as_place``: a device named only by its room's words ("clean the living room",
        the Living Room Light's words) is left the room's."""
        replace: dict[int, str | None] = {}
        for mention in found.areas[:1] + found.floors[:1]:
            first = min(mention.positions)
            for index in mention.positions:
                replace[index] = PLACE_WORD if index == first else None
        if found.entities:
            best = found.entities[0]
            if not self._is_place_and_kind(best, found) and not (
                as_place and not self._names_a_device(found)
            ):
                entity = self.registry[best.id]
                positions = sorted(best.positions)
                if (
                    len(positions) > 1
                    and positions[1] - positions[0] > 1
                    and tokens[positions[0]] in {"lock", "unlock"}
                ):  # "lock the back door" for the Back Door Lock: the verb stays one
                    positions = positions[1:]
                for index in positions:
                    replace[index] = _noun(entity) if index == positions[0] else None
        for index, group in found.kinds.items():
            if index not in replace and group in KIND_WORDS and tokens[index] != "volume":
                plural = singular(tokens[index]) != tokens[index]
                replace[index] = KIND_WORDS[group] + ("s" if plural else "")
        out: list[str] = []
        for index, token in enumerate(tokens):
            if index not in replace:
                out.append(token)
            elif (word := replace[index]) is not None and out[-1:] != [word]:
                out.extend(word.split())  # "the rooftop door" for a lock: "the lock"
        return out

    def _is_place_and_kind(self, mention: Mention, found: Mentions) -> bool:
        """Whether a device "mention" is only a place and a kind ("the lights in the
        kitchen" names the kitchen's lights, not the one called "Kitchen Light")."""
        if mention.contiguous or not found.areas or not found.groups:
            return False
        said = set(found.areas[0].positions) | set(found.groups.values())
        return mention.positions <= said

    def unaddressed(self, tokens: list[str]) -> list[str]:
        """``tokens`` without the assistant's name they start or end with, whatever it is
        ("hey olly, turn off the light", "coffee please, olly"): a word the reader does not
        know and no name of this home holds, said before "hey"'s request or a command's
        first word, or after "please" at the end."""
        if len(tokens) > 2 and tokens[-2] in _SIGN_OFFS and self._a_name(tokens[-1]):
            tokens = tokens[:-1]  # "coffee please, olly"
        lead = 1 if tokens[:1] and tokens[0] in _WAKE_LEADS else 0
        if len(tokens) < lead + 2:
            return tokens
        name, after = tokens[lead], tokens[lead + 1]
        person = name in _ADDRESSEES or (name in FIRST_NAMES and not lead)
        if self._a_name(name) and not person and (lead or after in _COMMAND_STARTS):
            return tokens[lead + 1 :]
        return tokens

    def called_by_name(self, text: str) -> bool:
        """ "jess, turn the garage stereo down": a name no one in the home answers to, then a
        comma, is someone else being asked."""
        called = _CALLED.match(text)
        if called is None:
            return False
        word = called.group(1).lower()
        return word in _ADDRESSEES or (
            word not in _NOT_CALLED and self._a_name(word) and not self.finder.names_word(word)
        )

    def _a_name(self, word: str) -> bool:
        """A word the reader does not know and no name of this home holds, nor a time
        ("tomorrow i'm gonna need the coffee machine" is not said to Tomorrow)."""
        return (
            word not in _LATER | _OTHER_DAYS
            and bool(self.unknown_words([word], frozenset()))
            and not self.finder.names_word(word)
        )

    def unknown_words(self, tokens: Sequence[str], used: frozenset[int]) -> list[int]:
        """Positions of words that are neither a way of asking (the training sentences'
        words) nor part of a name the reading uses: most likely a name of something else."""
        known = (self.classifier.vocabulary | COMMON_WORDS | FUNCTION_WORDS) - APPLIANCES
        return [
            i
            for i, t in enumerate(tokens)
            if i not in used
            and t != "#"  # a number said as part of a name (_numbers_named)
            and (t not in known or t in APPLIANCES)
            and tokens[max(0, i - 2) : i] not in (["like", "an"], ["like", "a"])  # "like a sauna"
            and not _compared(tokens, i)  # "my hands are like ice", not "i'd like netflix"
            and t not in _FEEL_COLD | _FEEL_HOT | _BODY | _INTENSIFIERS
            and t.removesuffix("'s").removesuffix("'") not in known
            and t not in STATE_WORDS
            and t not in FILLERS
            and t not in _WAKE_LEADS  # "yo, what's the time"
            and t not in _SOCIAL
            and not (t in _REASON_WORDS and not _names_next(tokens, i))
            and t not in COLOR_NAMES
            and t not in _GROUP_WORDS
            and t not in WHOLE_HOME
            and t not in _PERCENT_WORDS
            and not read_numbers(tokens, i)
        ]

    def _misnamed(
        self, tokens: Sequence[str], found: Mentions, targeting: Targeting, meaning: Meaning
    ) -> str | None:
        """Why the devices found are not the ones the sentence asks of, if they are not."""
        if self._names_something_else(tokens, found, targeting) or _described_otherwise(
            tokens, found, targeting.entities
        ):
            return "it names a device this home does not have"
        if _in_passing(tokens, found, targeting, meaning):  # "the floor is filthy"
            return "it names a device only in part and asks nothing of it"
        ordinals = _ORDINALS & {t for i, t in enumerate(tokens) if tokens[i - 1 : i] != ["a"]}
        if ordinals and not any(ordinals & set(words(e.name)) for e in targeting.entities):
            return "it asks for another one of a device"  # "the second kitchen fan"
        return None

    def _names_something_else(
        self, tokens: Sequence[str], found: Mentions, targeting: Targeting
    ) -> bool:
        """Whether the words name a device beside (or instead of) the one the reading took:
        "the ecobee thermostat" is not "the thermostat", "the carport garage door" is not
        "Garage door"."""
        unknown = self.unknown_words(tokens, targeting.used)
        if not unknown:
            return False
        named = found.entities[0] if found.entities and "name" in targeting.slots else None
        if named is None or named.score < 0.99 or not named.contiguous:
            return bool(_naming(tokens, unknown, targeting.used))
        return min(named.positions) - 1 in unknown or max(named.positions) + 1 in unknown

    def _one_of_several(
        self, tokens: Sequence[str], found: Mentions, targeting: Targeting, meaning: Meaning
    ) -> bool:
        """ "the cleaner" (one) for a room with two vacuums: which one is not guessed."""
        if meaning.query or len(targeting.entities) < 2 or "name" in targeting.slots:
            return False
        kind_words = [tokens[i] for i in found.groups.values()]
        every = any(tokens[max(0, i - 2) : i] and _EVERY & set(tokens[max(0, i - 2) : i])
                    for i in found.groups.values())  # fmt: skip
        return (
            bool(kind_words)
            and not every
            and all(w == singular(w) and w not in _PLURAL_ONLY for w in kind_words)
        )

    def comfort(
        self, name: str, found: Mentions, here: str | None
    ) -> tuple[Targeting | None, Meaning]:
        """Where no thermostat is: a heater on a switch turned on for "warmer" or off for
        "cooler", else for "cooler" said of no device the room's fans turned on."""
        heaters = self.heaters(found, here)
        place = found.areas[0].positions if found.areas else frozenset()
        named = [m for m in found.entities if not m.positions <= place]  # not "the study"
        if heaters is not None or name == "warmer" or named or found.kinds:
            return heaters, SWITCHED[name]  # "turn the fan down" is not "I'm hot"
        return self.fans(found, here), MEANINGS["on"]

    def fans(self, found: Mentions, here: str | None) -> Targeting | None:
        """The fans of the room said (or this one)."""
        return self._in_room(found, here, lambda e: e.domain is Domain.FAN)

    def heaters(self, found: Mentions, here: str | None) -> Targeting | None:
        """The switches that heat the room said (or this one), by their names ("Office
        heater"): "I'm cold" turns them on where no thermostat is."""
        return self._in_room(
            found,
            here,
            lambda e: (
                e.domain is Domain.SWITCH
                and bool(_HEATING & {singular(w) for n in (e.name, *e.aliases) for w in words(n)})
            ),
        )

    def _in_room(
        self, found: Mentions, here: str | None, fits: Callable[[Entity], bool]
    ) -> Targeting | None:
        """The devices that ``fits`` of the room said (or this one), if any."""
        area = found.areas[0].id if found.areas else here
        able = tuple(e for e in self.registry if e.area == area and fits(e))
        if not able:
            return None
        slots: dict[str, SlotValue] = {"name": able[0].name} if len(able) == 1 else {}
        used = found.areas[0].positions if found.areas else frozenset()
        return Targeting(able, slots, 1.0, frozenset(used))

    def in_context(
        self, context: Sequence[str], meaning: Meaning, slots: Mapping[str, SlotValue]
    ) -> Targeting | None:
        """The conversation's devices that can do what ``meaning`` asks, if any can."""
        able = tuple(
            entity
            for entity in map(self.registry.get, context)
            if entity is not None and carries_or_answers(meaning, entity, slots)
        )
        if not able:
            return None
        named: dict[str, SlotValue] = {"name": able[0].name} if len(able) == 1 else {}
        return Targeting(able, named, 1.0, frozenset())

    def _likeliest(self, found: Mentions, meaning: Meaning, used: frozenset[int]) -> list[Mention]:
        """The devices named, the likeliest first. Of the reading's own kind when no word
        says another ("it's dark in the garage": the garage's light, not the Garage door);
        first the one said word for word (:func:`_said_exactly`)."""
        named = list(found.entities)
        whole = bool(named) and named[0].score >= 0.99 and named[0].contiguous
        if (
            meaning.group is not None
            and not whole  # "dim the garden spotlights": the switch called so, not a light
            and not [at for at in found.groups.values() if at not in used]
        ):
            kind = {e.id for e in entities_of(self.registry, meaning.group, None, whole_home=True)}
            named = [m for m in named if m.id in kind]
        if not named:
            return []
        best = _said_exactly(named)
        return [best, *(m for m in named if m is not best)]

    @staticmethod
    def _all_of_a_room(found: Mentions) -> bool:
        """ "set all the kitchen lights to 70 %": every light of the kitchen, though one is
        called "Kitchen light" (a room's name, a kind in the plural, "all" before them)."""
        if not found.areas or not found.entities or not found.groups:
            return False
        best = found.entities[0]
        kind = max(found.groups.values())
        start = min(best.positions)
        return (
            best.positions <= found.areas[0].positions | {kind}
            and bool(_EVERY & set(found.tokens[max(0, start - 2) : start]))
            and singular(found.tokens[kind]) != found.tokens[kind]
        )

    def target(
        self, found: Mentions, meaning: Meaning, here: str | None, *, place_said: bool = False
    ) -> Targeting | None:
        """The devices meant: a named one, else a kind of device in a place."""
        place_slots: dict[str, SlotValue] = {}
        area = found.areas[0].id if found.areas else None
        floor = found.floors[0].id if found.floors else None
        used: set[int] = set()
        if found.areas:
            used |= found.areas[0].positions
            place_slots["area"] = found.areas[0].id
        if found.floors:
            used |= found.floors[0].positions
            place_slots["floor"] = found.floors[0].id
        top_is_place = bool(found.entities) and (
            self._is_place_and_kind(found.entities[0], found)
            # "shut everything off in the basement": not the switch called "Koogeek basement"
            or (
                bool(found.areas)
                and found.entities[0].positions <= found.areas[0].positions
                and any(
                    t in WHOLE_HOME and i not in found.areas[0].positions
                    for i, t in enumerate(found.tokens)
                )  # not the "home" of "the home office"
            )
            # "it's dark in the master bedroom": the room's name is in its devices' names,
            # and the reading says the kind (its lights)
            or (
                meaning.group == "light"
                and bool(_LIT & set(found.tokens))
                and not {"daylight", "sunlight", "sunshine", "sun"} & set(found.tokens)
                and bool(found.areas)
                and found.entities[0].positions <= found.areas[0].positions
            )
            or self._all_of_a_room(found)
        )
        named = [] if top_is_place else self._likeliest(found, meaning, frozenset(used))
        if named and (others := self._same_kind_there(found, named[0])):
            best = named[0]  # "pause the office speaker" where the office has two players
            return Targeting((), {}, best.score, best.positions | used, others)
        if named:
            best = named[0]
            rivals = [
                m
                for m in named[1:]
                if m.score >= best.score - CLOSE
                and m.exact >= best.exact
                and self.registry[m.id].name.casefold() != self.registry[best.id].name.casefold()
                and not (best.contiguous and not m.contiguous)
                and not (best.score >= 0.99 and best.contiguous and m.score < 0.99)
            ]  # a name said whole ("the attic light") over one said in part ("... switch")
            local = [m for m in [best, *rivals] if self.registry[m.id].area == here]
            if rivals and len(local) == 1:  # as Home Assistant: the one in the room said in
                best, rivals = local[0], []
            if rivals:
                said = {m.id: m for m in [best, *rivals]}
                return Targeting(
                    (), {}, best.score, best.positions | used,
                    tuple(self.registry[i] for i in said),
                )  # fmt: skip
            same_name = [
                self.registry[m.id]
                for m in named
                if self.registry[m.id].name.casefold() == self.registry[best.id].name.casefold()
            ]
            entity = self.registry[best.id]
            if _elsewhere(entity, area, self.registry.areas_on(floor) if floor else None):
                return None  # "the kitchen blinds" when the home's blinds are the living room's
            unnamed = [t for i, t in enumerate(found.tokens) if i not in best.positions]
            if area is None and floor is None and not meaning.query and _somewhere_else(unnamed):
                return None  # "the fan outside" when the home's one fan is the bedroom's
            return Targeting(
                tuple(same_name), {"name": entity.name}, best.score, best.positions | used
            )
        return self._of_kind(found, meaning, here, place_slots, used, place_said=place_said)

    def _said_alike(
        self,
        tokens: Sequence[str],
        found: Mentions,
        targeting: Targeting,
        meaning: Meaning,
        slots: Mapping[str, SlotValue],
    ) -> tuple[str, ...]:
        """When the one device named was found by part of its name, it and the others (of
        the place said, if one is) whose names hold every word it was found by and that can
        do it; else ()."""
        if "name" not in targeting.slots or len(targeting.entities) != 1:
            return ()
        entity = targeting.entities[0]
        best = next((m for m in found.entities if m.id == entity.id), None)
        area = found.areas[0].id if found.areas else None
        if best is None or (found.areas and best.positions <= found.areas[0].positions):
            return ()  # "it's muggy in the dining room": found by the place, not a name
        others = [
            e for i in self.finder.said_in_part(best, found.tokens)
            if (e := self.registry[i]).name.casefold() != entity.name.casefold()
            and (area is None or e.area == area)
        ] + self._kind_in_place(found, best)  # fmt: skip
        able = _state_fits(tokens, meaning, tuple(
            e for e in (entity, *others) if carries_or_answers(meaning, e, slots)
        ))  # fmt: skip
        return tuple(e.id for e in able) if len(able) > 1 else ()

    def _kind_in_place(self, found: Mentions, best: Mention) -> list[Entity]:
        """ "the vacuum in the greenhouse", said where the Greenhouse has two: a name that is
        its place and its kind, said as a kind in a place, is every one of that kind there."""
        if best.contiguous or not found.areas:
            return []
        kinds = best.positions - found.areas[0].positions
        if not kinds or not all(i in found.kinds for i in kinds):
            return []
        group = found.kinds[max(kinds)]
        if group == "light":
            return []  # "the light in the hallway" is all of the hallway's
        return [e for e in entities_of(self.registry, group, found.areas[0].id) if e.id != best.id]

    def _numbers_named(self, tokens: list[str], found: Mentions) -> tuple[list[str], Mentions]:
        """``tokens`` with the numbers that are part of a name made no number: "the bedroom
        1 light", "the garage 2 vacuum" (a name's word, the number, a kind's word) name a
        device and set no level."""
        named = set(found.entities[0].positions) if found.entities else set()
        out = list(tokens)
        for index, token in enumerate(tokens):
            if not (token.isdigit() or token in _NAME_NUMBERS):
                continue
            if (
                token == "one"
                and index
                and tokens[index - 1] not in _STOP_BEFORE_VALUE
                and not read_numbers(tokens, index - 1)  # "twenty one"
                and tokens[index - 1] not in {"up", "down", "by"}  # "up one degree"
                and (index + 1 == len(tokens) or tokens[index + 1] in {"not", "please", "too"})
            ):  # "the porch one", "not the other one": a device, no level
                out[index] = "#"
                continue
            between = (
                0 < index < len(tokens) - 1
                and index + 1 in found.kinds
                and self.finder.names_word(tokens[index - 1])
                and tokens[index - 1] not in _STOP_BEFORE_VALUE
            )
            if index in named or between:
                out[index] = "#"
        return out, found

    def _find(self, tokens: list[str]) -> Mentions:
        """What ``tokens`` mention; no device named when they ask for every one of a kind
        ("open all the garage doors" where a lock is called "Garage door")."""
        found = self.finder.find(tokens)
        if found.entities and self._every_of_kind(found, found.entities[0]):
            found.entities = []
        return found

    def _same_kind_there(self, found: Mentions, best: Mention) -> tuple[Entity, ...]:
        """The devices of the kind said in the named device's room, when the kind's word
        is not in its name and it has others there ("the office speaker" where the office
        has a Media Player and a Sound System): either may be meant. Never lights: "the
        light" of a room is all of it."""
        entity = self.registry[best.id]
        kinds = [i for i in best.positions if i in found.kinds]
        if not kinds or entity.area is None or entity.domain is Domain.LIGHT:
            return ()
        own = {singular(w) for w in words(entity.name)}
        if any(singular(found.tokens[i]) in own for i in kinds):
            return ()
        there = entities_of(self.registry, found.kinds[kinds[-1]], entity.area)
        return tuple(there) if len(there) > 1 and entity in there else ()

    def _every_of_kind(self, found: Mentions, best: Mention) -> bool:
        """ "all the garage doors", said where one device of another kind has that name:
        every one of the kind said, not the one named."""
        if not found.groups:
            return False
        last = max(found.groups.values())
        start = min(best.positions)
        return (
            last in best.positions
            and bool(_EVERY & set(found.tokens[:start]))
            and self.registry[best.id].domain not in GROUP_DOMAINS[found.kinds[last]]
        )

    def _of_kind(
        self,
        found: Mentions,
        meaning: Meaning,
        here: str | None,
        place_slots: dict[str, SlotValue],
        used: set[int],
        *,
        place_said: bool = False,
    ) -> Targeting | None:
        """:meth:`target` when no device is named: the devices of a kind in a place (the
        home's only one of the kind, when no place is said and the one here has none)."""
        area = _place_of(found, place_slots, used)
        floor = found.floors[0].id if found.floors else None
        group: str | None = None
        kinds = [g for g, at in found.groups.items() if at not in used]
        if not found.groups and meaning.group is None and _LIGHTING & set(found.tokens):
            group = "light"  # "illuminate the entire home": the verb says the kind
        elif not found.groups and meaning.group is None and found.whole_home:
            group = "everything"  # "switch off everything in the kitchen"
        elif meaning.group == "lock" and _nothing_to_lock(found):
            return None  # "can you lock": lock what?
        elif meaning.group is not None and (not kinds or meaning.group in found.groups):
            group = meaning.group  # "turn up the heat", "it's dark in the garage": its own kind
        elif found.groups:
            # the last kind said is the noun; a word that names the place said ("the fan in
            # the garage") is the place, unless it is the only kind word
            group = (kinds or list(found.groups))[-1]
        elif (
            {"lock", "unlock"} & set(found.tokens)
            and meaning.direction
            and not _nothing_to_lock(found)
        ):
            group = "lock"  # "lock up behind us": the verb says the kind; not "can you lock"
        if group is None:
            return None
        if area is None and floor is None and _somewhere_else(found.tokens):
            return None  # "the fan outside", "the lights out back": not this room's
        if found.whole_home and area is None and floor is None:
            entities = entities_of(self.registry, group, None, whole_home=True)
        elif floor is not None:
            areas = set(self.registry.areas_on(floor))
            entities = [e for e in entities_of(self.registry, group, None, whole_home=True)
                        if e.area in areas]  # fmt: skip
        else:
            entities = entities_of(self.registry, group, area or here)
            if not entities and area is None and not place_said:
                everywhere = entities_of(self.registry, group, None, whole_home=True)
                if len(everywhere) == 1:
                    entities = everywhere
        said = found.tokens[found.groups[group]] if group in found.groups else ""
        if said in LAMP_WORDS:
            entities = self._lamps(entities, whole=found.whole_home or floor is not None)
        if "tv" in found.kinds.values() and group != "tv":  # "the tv volume": a TV's, if any
            entities = [e for e in entities if is_tv(e)]
        for own in {found.tokens[i] for i in found.kinds} & OWN_NAME_KINDS:
            # "put the radio on" where the home has a speaker, "the study soundbar"
            entities = [e for e in entities if singular(own) in
                        {singular(w) for w in words(e.name)} | {e.device_class}]  # fmt: skip
        if said in _BRANDS:  # "the roomba" is the home's one robot vacuum, not this room's
            everywhere = entities_of(self.registry, group, None, whole_home=True)
            entities = everywhere if len(everywhere) == 1 else []
        if not entities and meaning.intent == "HassClimateGetTemperature" and (area or here):
            # "what's the temperature up in the bedroom", where a sensor measures it
            entities = [e for e in self.registry if _measures_temperature(e, area or here)]
        if not entities and floor is None and not found.whole_home and (place := area or here):
            entities = self._switched(group, said, place)
        if not entities:
            return None
        if group in found.groups:
            used.add(found.groups[group])
        slots = dict(place_slots)
        whole = found.whole_home and area is None and floor is None
        if not whole and "area" not in slots and "floor" not in slots and here is not None:
            slots["area"] = here
        return Targeting(tuple(entities), slots, 1.0, frozenset(used))

    def _switched(self, group: str, said: str, area: str) -> list[Entity]:
        """ "the lights in the hobby room", where its lights are a switch called "Hobby room
        lights": the area's switches whose names say the kind ("the lamp": those called
        lamps), when the area has no device of the kind's own domain."""
        kind = _SWITCHED_KINDS.get(group)
        if kind is None:
            return []
        if said in LAMP_WORDS:
            kind = LAMP_WORDS
        return [
            e
            for e in self.registry
            if e.domain is Domain.SWITCH and e.area == area and kind & set(words(e.name))
        ]

    def _lamps(self, lights: Sequence[Entity], *, whole: bool) -> list[Entity]:
        """ "The lamp" of a room: its lights called lamp, where the home calls some of its
        lights lamps; none when the room has none of them (its ceiling light is not "the
        lamp"). A floor's or the home's lamps stay every light, as Home Assistant has it."""
        called = [e for e in lights if is_lamp(e)]
        if called or whole or not any(is_lamp(e) for e in self.registry):
            return called or list(lights)
        return []


_LESS_OF = {
    "dimmer": (("dim", "dark", "gloomy"), "brighter"),
    "quieter": (("quiet", "soft"), "louder"),
    "cooler": (("cold", "chilly", "cool"), "warmer"),
}
"""Steps whose word said after "less" means the other way ("less dim" is brighter)."""
_STARTING = ("fire", "power", "boot", "start")
"""Verbs that with "up" start a device, not brighten it."""
_STEPS_INSTEAD = {"set_brightness": ("dimmer", "brighter"), "set_volume": ("quieter", "louder")}
"""A setting read with no value said, and the steps down and up it is instead."""
_SWITCHED_KINDS: dict[str, frozenset[str]] = {
    "light": NOUN_GROUPS["light"] | {"chandelier", "chandeliers", "sconce", "sconces", "spots",
                                     "spotlight", "spotlights", "floodlight", "floodlights",
                                     "nightlight", "downlights"},
    "fan": NOUN_GROUPS["fan"] | {"extractor"},
    "cover": NOUN_GROUPS["cover"],
}  # fmt: skip
"""Kinds a switch may be, said by a word of its name ("Hobby room lights", "Sunroom
blinds"): where a room has none of the kind's own domain, its switches so called are it."""
_ORDINALS = frozenset({"second", "third", "fourth", "2nd", "3rd", "other", "another"})
"""Words that pick one of several devices of a name: none of them names a device alone."""
_MORE_OR_LESS = frozenset({"stronger", "weaker", "strong", "weak", "hotter", "faster",
                           "slower", "bigger", "smaller", "longer", "shorter"})  # fmt: skip
"""Words that ask for a degree of something an on/off reading cannot give ("make the
coffee stronger")."""
_SETTINGS = frozenset({"suction", "turbo", "mode", "eco", "bass", "treble", "equaliser",
                       "equalizer", "subwoofer", "direction", "reverse", "oscillate",
                       "oscillation", "oscillating", "swing"})  # fmt: skip
"""Settings of a device edge-os has no action for: "put the vacuum on max suction" is not
start it, "turn up the bass" not the volume."""
_BRANDS = frozenset({"roomba"})
_SPEED_WORDS = frozenset({"high", "medium", "speed", "highest", "lowest"})
_NEAR = frozenset({"above", "over", "by", "near", "beside", "behind", "under", "outside",
                   "next", "below", "beneath"})  # fmt: skip
_HABITUAL = frozenset({"usually", "normally", "always", "never", "tend", "typically",
                       "generally", "often", "sometimes", "prefer", "like", "love", "enjoy",
                       "keep", "use"})  # fmt: skip
_SEASONS = frozenset({"winter", "summer", "spring", "autumn", "fall", "weekends", "weekdays"})
_WAYLESS = frozenset({"volume", "brightness", "heat", "heating", "temperature", "music",
                      "sound", "lights", "light", "it"})  # fmt: skip


def _which(
    text: str,
    intent: str | None,
    slots: Mapping[str, SlotValue],
    confidence: float,
    *,
    started: float,
    alternatives: tuple[str, ...],
) -> IntentResult:
    """A reading that asks which of ``alternatives`` is meant before it acts."""
    latency_ms = (time.perf_counter() - started) * 1000
    return IntentResult(text, intent, dict(slots), (), round(confidence, 3), "model", latency_ms,
                        alternatives=alternatives)  # fmt: skip


def _habit(tokens: Sequence[str]) -> bool:
    """ "i usually have the bedside lamp at thirty percent", "in winter we keep the
    thermostat at nineteen", "my favourite colour for the lamp is purple": what the speaker
    does or likes, not a request ("i'd like" asks)."""
    start = 0
    if tokens[:1] == ["in"] and tokens[1:2] and tokens[1] in _SEASONS:
        start = 2
    elif tokens[:2] == ["in", "the"] and tokens[2:3] and tokens[2] in _SEASONS:
        start = 3
    lead = tokens[start : start + 2]
    if len(lead) == 2 and lead[0] in {"i", "we"} and lead[1] in _HABITUAL:
        return True
    if _HABIT_WORDS & set(tokens) and tokens[0] not in _DO_WORDS | _ASKING_FOR:
        return True  # "my dad always turns the heating up to twenty five"
    if {"keeps", "likes", "prefers", "loves"} & set(tokens[1:4]):
        return True  # "my sister keeps her bedroom lights purple"
    return any(
        said_in(tokens, p)
        for p in (("my", "favourite"), ("my", "favorite"), ("i'm", "happiest"), ("im", "happiest"))
    )


_HABIT_WORDS = frozenset({"always", "usually", "normally", "typically", "generally"})


def _no_way(tokens: Sequence[str]) -> bool:
    """ "turn the volume", "turn the brightness": "turn" and what, and no way to turn it."""
    said = [t for t in tokens if t not in {"please", "can", "could", "you", "the", "my", "for",
                                           "me", "would"}]  # fmt: skip
    return len(said) == 2 and said[0] == "turn" and said[1] in _WAYLESS


"""Kind words that are one device's make: the home's only one of the kind, if it has one."""


_LIGHTING = frozenset({"illuminate", "illuminating"})
"""Verbs only lights do."""


def _nothing_to_lock(found: Mentions) -> bool:
    """ "can you lock": no kind, place or "up" said ("lock up", "lock the office")."""
    return not (
        found.groups or found.areas or found.floors or found.whole_home or "up" in found.tokens
    )


def _place_of(found: Mentions, place_slots: dict[str, SlotValue], used: set[int]) -> str | None:
    """The area said; none when it is only the "garage" of "all the garage doors" (then
    taken out of ``place_slots`` and ``used``)."""
    if not found.areas:
        return None
    positions = found.areas[0].positions
    if found.whole_home and all(
        found.tokens[i + 1 : i + 2] in (["door"], ["doors"]) for i in positions
    ):
        place_slots.pop("area", None)
        used -= positions
        return None
    return found.areas[0].id


def _somewhere_else(tokens: Sequence[str]) -> bool:
    """Whether the words say a place that is not a room of the home (it would have been
    found as one): "outside", "upstairs", "out back"."""
    return bool(_ELSEWHERE & set(tokens)) or any(
        said_in(tokens, ("out", way)) or said_in(tokens, ("out", "the", way))
        for way in ("back", "front")
    )


_ELSEWHERE = frozenset({"outside", "outdoors", "upstairs", "downstairs", "yard", "backyard"})


def _names_next(tokens: Sequence[str], index: int) -> bool:
    """Whether the word after ``index`` makes it part of a name: a kind of device or a room."""
    after = tokens[index + 1] if index + 1 < len(tokens) else ""
    return after in _GROUP_WORDS or after in {"room", "rooms", "area", "house", "bathroom"}


def _measures_temperature(entity: Entity, area: str | None) -> bool:
    return (
        entity.domain is Domain.SENSOR and entity.device_class == "temperature"
    ) and entity.area == area


LAMP_WORDS = frozenset({"lamp", "lamps"})


def is_lamp(entity: Entity) -> bool:
    """A light the home calls a lamp."""
    return entity.domain is Domain.LIGHT and any(
        LAMP_WORDS & set(words(n)) for n in (entity.name, *entity.aliases)
    )


def _elsewhere(entity: Entity, area: str | None, floor_areas: Sequence[str] | None) -> bool:
    """Whether the place said is not where the device named is (a vacuum cleaner goes
    where it is sent: "can the robot vacuum the kitchen")."""
    if entity.area is None or entity.domain is Domain.VACUUM:
        return False
    if area is not None and entity.area != area:
        return True
    return floor_areas is not None and entity.area not in floor_areas


_GROUP_WORDS = frozenset(w for words in NOUN_GROUPS.values() for w in words)
_SOCIAL = frozenset({"mate", "cheers", "pls", "plz", "dear", "love", "ta", "thx", "buddy",
                     "pal", "bro", "dude", "sweetie", "honey", "darling", "ya", "yeah",
                     "right", "quick", "asap"}) | (
    frozenset(ASSISTANT_NAMES) - {"computer", "google"}
)  # fmt: skip
"""Words said to the assistant around a request ("lights on in the lounge mate", "wemo on
pls"), and its names that no device shares (not "computer" or "google"): no name of
anything."""
_REASON_WORDS = frozenset({
    "afraid", "afternoon", "arriving", "aunt", "auntie", "awake", "babies", "baby", "barbecue",
    "bath", "bbq", "bedtime", "book", "books", "bored", "boy", "boyfriend", "boys",
    "breakfast", "busy", "cat", "cats", "cereal", "child", "children", "cigarette", "coat",
    "coming", "complaining", "cooking", "cousin", "crumbs", "dad", "daddy", "daughter",
    "daughters", "dinner", "dog", "dogs", "dropped", "early", "eating", "evening", "family",
    "fell", "film", "flatmate", "folks", "food", "friend", "game", "girl", "girlfriend",
    "girls", "glasses", "gran", "grandad", "grandkids", "grandma", "grandpa", "granny",
    "guest", "guests", "heading", "homework", "hungry", "husband", "keys", "kid", "kids",
    "kitten", "lunch", "lying", "match", "meal", "meeting", "mess", "mom", "mommy", "morning",
    "movies", "mud", "mum", "mummy", "nana", "nap", "neighbor", "neighbors", "neighbour",
    "neighbours", "noise", "partner", "party", "pet", "pets", "phone", "puppy", "racket",
    "read", "reading", "ready", "relaxing", "roommate", "scared", "searching", "shoes", "sick",
    "sleepy", "smoke", "snacks", "son", "sons", "spilled", "spilt", "starving", "studying",
    "supper", "teenager", "thirsty", "tired", "toddler", "tonight", "tools", "trying", "uncle",
    "visit", "visiting", "visitor", "visitors", "waiting", "wallet", "watching", "weekend",
    "wife", "workout", "yoga",
})  # fmt: skip
"""People, meals, pastimes, feelings and things a reason speaks of: no device's name, unless
a kind of device or "room" follows ("the kids room light", "the guest room")."""
_KIND_VERBS = frozenset({"drop", "retract", "latch", "unlatch", "bolt", "unbolt", "park",
                         "recall", "dispatch", "deploy", "douse", "loose"})  # fmt: skip
"""Verbs that ask something of one kind of device ("drop the garage door", "park the
vacuum"), read by ``Reader._verb_for_kind``: known words, and words of a request."""
COMMON_WORDS = _KIND_VERBS | frozenset({
    "colour", "colours", "color", "colors",
    "real", "ahead", "pronto", "immediately",
    "whenever", "ready", "slowly", "shortly", "tonight",
    "jiffy",
    "grandma", "grandpa", "granny", "grandad", "nana", "dog", "dogs", "cat", "cats", "puppy",
    "kitten", "baby", "guests", "visitors", "neighbours", "neighbors", "visiting",
    "stupid", "damn", "bloody", "flipping", "freaking", "darn", "silly", "annoying",
    "remind", "wee", "touch", "tad", "smidge", "literally", "absolutely", "sorry", "pardon",
    "excuse", "tidy", "belonging", "belongs", "owned",
    "murder",
    "stuff", "brr", "ugh", "oh", "ooh", "hmm", "ah", "nudge", "knock", "pop", "couple", "makes",
    "totally", "honestly", "basically", "seriously",
    "a", "about", "above", "across", "after", "again", "against", "all", "almost", "along",
    "already", "also", "always", "am", "an", "and", "any", "anymore", "anything", "are", "around",
    "as", "at", "away", "back", "be", "because", "been", "before", "behind", "being", "below",
    "beside", "between", "both", "but", "by", "can", "can't", "could", "currently", "did", "do",
    "does", "doing", "done", "don't", "down", "during", "each", "either", "else", "even", "ever",
    "every", "few", "for", "from", "get", "gets", "getting", "give", "go", "goes", "going",
    "gone", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his",
    "how", "i", "i'd", "i'll", "i'm", "if", "in", "inside", "into", "is", "isn't", "it", "it's",
    "its", "itself", "just", "keep", "kind", "kindly", "let", "let's", "lets", "like", "little",
    "lot", "make", "may", "me", "might", "mine", "more", "most", "much", "must", "my", "myself",
    "near", "need", "needs", "never", "next", "no", "nor", "not", "now", "of", "off", "often",
    "on", "once", "one", "only", "onto", "or", "other", "our", "ours", "out", "outside", "over",
    "own", "please", "pulled", "put", "quite", "rather", "really", "right", "same", "see",
    "should", "since", "so", "some", "something", "soon", "still", "such", "sure", "system",
    "take", "taking", "than", "thank", "thanks", "that", "that's", "the", "their", "them", "then",
    "there", "these", "they", "this", "those", "through", "to", "too", "toward", "under", "until",
    "up", "upon", "us", "very", "want", "wanted", "was", "wasn't", "way", "we", "well", "were",
    "what", "what's", "when", "where", "whether", "which", "while", "who", "whom", "why", "will",
    "with", "within", "without", "won't", "would", "yet", "you", "you're", "your", "yours",
    "break", "level", "levels", "locking", "moment", "status", "state",
    "condition", "update", "news", "whole", "entire", "thing", "things", "unit", "place",
    "day", "week", "month", "year", "today",
    # verbs, adverbs and adjectives people ask with: never the name of a device
    "actually", "adjust", "alter", "anyway", "bit", "bother", "brighter", "bump", "check",
    "crank", "darker", "decrease", "dial", "drop", "enough", "fix", "flick", "forget",
    "fully", "gently", "hardly", "barely", "hear", "help", "hit", "hold", "hope", "increase",
    "instead", "kick", "less", "lessen", "lift", "love", "lower", "maybe", "mind", "modify",
    "notch", "okay", "ok", "perhaps", "press", "push", "quick", "quickly", "raise", "reduce",
    "remember", "slightly", "smart", "somewhat", "strong", "stronger", "tap", "think", "try",
    "weak", "weaker", "wish", "wonder", "yeah", "yes", "intensity", "cup", "mug", "drink",
    "dusty", "dirty", "filthy", "messy", "fancy",
    "switched", "turned", "sitting", "looking", "set", "presently", "sec",
    "second", "minute", "mood", "doesn't", "didn't", "aren't", "shouldn't", "hasn't",
    "haven't", "weren't",
    # how much, how soon ("the music up loads"); informal verbs of switching and of the
    # vacuum ("whack some music on", "back to the charger"); what music is called, and noise
    "loads", "lots", "tons", "heaps", "asap", "fast", "whack", "chuck", "bung", "stick",
    "blast", "blasting", "tweak", "douse", "snuff", "shush", "drown", "charger",
    "rounds", "sweep", "tunes", "songs", "racket", "noise", "din",
    # verbs of saying, showing, seeming and coming, fractions: "have the porch light come
    # on", "what is the thermostat showing", "ease off the volume", "a quarter volume"
    "come", "comes", "came", "say", "says", "saying", "said", "telling", "showing", "shown",
    "displaying", "displays", "reporting", "report", "indicate", "indicates", "indicating",
    "measure", "measuring", "look", "looks", "seem", "seems", "appear", "appears", "stay",
    "stays", "remain", "remains", "happen", "happening", "mean", "means", "reckon", "guess",
    "suppose", "sort", "ease", "easing", "fetch", "grab", "brought", "handle", "manage",
    "quarter", "quarters", "third", "thirds",
})  # fmt: skip
"""Ordinary English words: never taken for the name of a device the home lacks."""

_CONTRACTED = {
    "'re": "we you they",
    "'ve": "i you we they",
    "'ll": "i you he she it we they that there",
    "'d": "i you he she it we they that there",
    "'s": "he she it that there what where who how here everything something nothing whatever",
}
FUNCTION_WORDS = frozenset(
    {
        *(f"{who}{suffix}" for suffix, said in _CONTRACTED.items() for who in said.split()),
        *(f"{verb}n't" for verb in ("is", "are", "was", "were", "do", "does", "did", "has",
                                    "have", "had", "could", "would", "should", "must", "might",
                                    "need", "ai")),
        "she", "herself", "himself", "ourselves", "themselves", "yourself", "yourselves",
        "theirs", "whose", "although", "though", "unless", "whereas", "till", "towards", "among",
        "besides", "beyond", "despite", "per", "via", "however", "whenever", "wherever",
        "whichever", "whoever", "shall", "ought", "several", "neither", "least", "sometimes",
        "somewhere", "anywhere", "nowhere", "nothing",
    }
)  # fmt: skip
"""Closed-class words (pronouns and their contractions, conjunctions, prepositions,
auxiliaries, quantifiers): they never name a device, so one the training sentences happen
not to hold ("shut off the bar light, we're closing up") is not taken for the name of one
the home lacks."""
APPLIANCES = frozenset({
    "oven", "stove", "hob", "cooker", "kettle", "toaster", "dishwasher", "washer", "dryer",
    "fridge", "freezer", "microwave", "fireplace", "sprinkler", "sprinklers", "blender",
    "iron", "sauna", "jacuzzi", "humidifier", "dehumidifier", "purifier", "aircon",
    "boiler", "doorbell", "camera", "cameras", "alarm", "siren", "projector", "printer",
    "router", "computer", "laptop", "console", "xbox", "playstation",
})  # fmt: skip
"""Names of appliances: a device the home lacks when no name of it holds them, though the
training sentences say some ("it's like an oven in here")."""
_PLURAL_ONLY = frozenset({"blinds", "shades", "curtains", "shutters"})


def carries_or_answers(meaning: Meaning, entity: Entity, slots: Mapping[str, SlotValue]) -> bool:
    """Whether ``entity`` can do what the reading asks (a question: whether it reports)."""
    if meaning.query:
        if meaning.intent == "HassClimateGetTemperature":
            return entity.domain in {Domain.CLIMATE, Domain.SENSOR}
        return True
    assert meaning.intent is not None
    return carries(meaning.intent, entity, slots)


def _noun(entity: Entity) -> str:
    if entity.domain is Domain.COVER and entity.device_class in {"garage", "gate", "door"}:
        return "garage door"
    return NOUNS.get(entity.domain, "device")


ACTION_WORDS = frozenset({
    "turn", "switch", "toggle", "flip", "power", "kill", "start", "stop", "make", "get",
    "put", "set", "light", "illuminate", "extinguish", "secure", "unsecure", "bolt", "unbolt",
    "deadbolt", "latch", "unlatch", "release",
    "engage", "disengage", "fire", "boot", "wake", "need", "needs", "should", "want", "like",
    "ensure", "sure", "raise", "lower", "pull", "draw", "cut", "douse", "open", "close",
    "shut", "lock", "unlock", "activate", "deactivate", "enable", "disable", "run", "begin",
    "change", "invert", "reverse", "lights", "locked", "unlocked", "opened", "closed", "help",
    "leave", "keep", "bring", "give", "let", "please", "go", "going", "done", "anymore",
    "brew", "prepare", "pour", "use", "launch", "plug", "unplug", "boost", "fancy", "turning",
    "switching", "opening", "closing", "locking", "unlocking", "starting", "stopping",
})  # fmt: skip
"""Words of a request for something to be done; an on/off reading without any of them
("library door okay") is not acted on."""


_STEPS = frozenset({"brighter", "dimmer", "warmer", "cooler", "louder", "quieter"})
_SETTINGS_OF = frozenset({"set_volume", "set_brightness", "set_temperature"})
"""Readings that set a value the words must give."""


def _numbered(tokens: Sequence[str]) -> bool:
    """Whether the words give a number."""
    return any(read_numbers(tokens, i) for i in range(len(tokens)))


def _turned_up_or_down(tokens: Sequence[str]) -> int:
    """ "turn the lights down" (-1), "turn up the music" (+1): a step, not off or on; 0 when
    the sentence is not one of these."""
    said = set(tokens)
    if "turn" not in said or {"on", "off", "out"} & said:
        return 0
    return int("up" in said) - int("down" in said)


_WAKE_LEADS = frozenset({*WAKE_LEADS, "hello", "yo"})
_COMMAND_STARTS = frozenset({
    "turn", "switch", "set", "make", "put", "please", "can", "could", "would", "will", "start",
    "stop", "open", "close", "lock", "unlock", "dim", "brighten", "raise", "lower", "increase",
    "decrease", "change", "mute", "unmute", "play", "pause", "what", "what's", "whats", "is",
    "are", "how", "tell", "give", "i", "i'd", "i'm", "lights", "light", "shut", "kill",
    "activate", "enable", "disable", "run", "get", "let's", "do",
})  # fmt: skip
"""First words of a request: a word before one of them that no name holds is an address."""
_SIGN_OFFS = frozenset({"please", "thanks", "now"})
"""Words a request ends with before the name of the one asked ("... please, olly")."""
_WEEKDAYS = frozenset(
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)
_OTHER_DAYS = _WEEKDAYS | {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "tomorrow", "tomorrow's", "yesterday", "yesterday's",
    "next", "last", "until", "till", "ago", "since", "christmas", "easter", "halloween",
    "thanksgiving", "birthday", "holiday", "zone", "standard",
}  # fmt: skip
"""Words that put a time or date question elsewhere or on another day ("the time in Tokyo",
"what day is Christmas"): the current time and date only answer for here and now."""


_LATER = _WEEKDAYS | {f"{day}s" for day in _WEEKDAYS} | {
    "tomorrow", "tonight", "later", "pm", "a.m.", "p.m.", "o'clock", "everyday", "daily",
    "weekly", "weekdays", "weekends", "until", "till", "noon", "midnight", "dusk", "dawn",
    "sunset", "sunrise", "sundown", "nightfall", "mornings", "evenings", "afternoons", "nights",
}  # fmt: skip
_SPANS = frozenset({"song", "track", "episode", "show", "film", "movie", "game", "match",
                    "dinner", "lunch", "breakfast", "meeting", "call"})  # fmt: skip
"""Things that end at a time of their own ("after this song"): a request for then."""
_DURATIONS = frozenset({"second", "seconds", "minute", "minutes", "hour", "hours"})
_A_MOMENT = [["a", "second"], ["a", "sec"], ["a", "minute"], ["a", "moment"], ["one", "second"]]


SWITCHED = {"warmer": MEANINGS["on"], "cooler": MEANINGS["off"]}
"""What "I'm cold" and "I'm hot" do to a heater on a switch."""
_HEATING = frozenset({"heater", "heating", "radiator", "heat", "warmer", "boiler"})
_DESCRIBERS = frozenset({
    "back", "front", "side", "main", "big", "small", "left", "right", "top", "bottom", "upper",
    "upstairs", "downstairs", "rear", "middle", "corner", "outdoor", "indoor", "outside",
    "inside", "spare", "second", "third", "other", "new", "old",
})  # fmt: skip
"""Words that pick one device of a kind ("the back door"): said before the kind, they must
be the device's own."""


_REST_STARTS = frozenset({"for", "i", "we", "the", "there", "theres", "it", "its", "my", "our",
                          "he", "she", "they", "so"})  # fmt: skip
"""Words what a request is for may start with, said after it without a break."""
_LINKS = frozenset({"to", "of", "in", "at", "with", "or", "by", "from"})
"""Words that join a request to what follows: it does not end with one (nor with a word
that leaves it cut off, _CUT_OFF)."""
_REASON_STARTS = frozenset({"because", "since", "cause", "cuz", "we're", "i'm", "it's", "he's",
                            "she's", "they're", "there's", "i've"})  # fmt: skip
"""Words a reason said after a request starts with (a break between clauses)."""


def _naming(tokens: Sequence[str], unknown: Sequence[int], used: frozenset[int]) -> list[int]:
    """Of the ``unknown`` words, those that may name a device: every one in the request's
    own clause (or the first clause, when the reading uses no word of the sentence), an
    appliance anywhere, and a first word. Not a word of the reason, said in a clause of its
    own: "switch all the lights on, I think I heard something", "turn the music down, the
    baby's sleeping"."""
    starts = [i for i, t in enumerate(tokens) if t in _CLAUSE_STARTS]
    starts += [  # "the baby's sleeping", "my hands are full": a clause of its own
        i - 1 for i in range(1, len(tokens) - 1)
        if (tokens[i].endswith("'s") and tokens[i + 1].endswith("ing"))
        or (tokens[i - 1] in {"the", "my", "our"} and tokens[i + 1] in {"is", "are"})
    ]  # fmt: skip

    def same_clause(i: int) -> bool:
        if not used:
            return not any(0 < s <= i for s in starts)  # the first clause asks
        return any(not any(min(i, j) < s <= max(i, j) for s in starts) for j in used)

    return [i for i in unknown if tokens[i] in APPLIANCES or i == 0 or same_clause(i)]


_CLAUSE_STARTS = _REASON_STARTS | {"i'll", "i"}
"""Words that start a clause of their own within the words of a sentence."""


def _described_otherwise(
    tokens: Sequence[str], found: Mentions, entities: Sequence[Entity]
) -> bool:
    """ "open the back door" when the home's door is the front door: the word that picks the
    device is not one of its names (nor of its room's). "turn off the bed light" when no
    light is called so: any word between "the" and the kind picks one, as a mishearing of
    "the desk light" does."""
    own: set[str] = set()
    for entity in entities:
        for name in (entity.name, *entity.aliases):
            own.update(singular(w) for w in words(name))
    said = {singular(tokens[index]) for index in found.kinds} & _OPENINGS
    if said and not said & own and own & _OPENINGS:
        return True  # "lock the bedroom door" when the bedroom's lock is its window's
    places = {i for m in (*found.entities, *found.areas, *found.floors) for i in m.positions}
    rooms = {i for m in (*found.areas, *found.floors) for i in m.positions}
    homes = {w for e in entities if e.area for w in e.area.split("_")}
    for index, token in enumerate(tokens[:-1]):
        after = tokens[index + 1]
        if (
            singular(token) in own
            and after in _PLACE_NOUNS
            and singular(after) not in own
            and index + 1 not in rooms
            and not (after == "room" and (token.endswith(("'s", "'")) or singular(token) in homes))
        ):  # "the study room vacuum" for the Study's, "the lamp in jennifer's room" hers
            return True  # "lights on in the pool house" is not the pool light

    def picks(index: int) -> bool:
        if index < 1 or index - 1 in places:
            return False
        word = tokens[index - 1]
        if index == 1 and word == "right":
            return False  # "right, lights off in the study"
        if singular(word.removesuffix("'s")) in own:
            return False
        return word in _DESCRIBERS or (
            index > 1 and tokens[index - 2] in _ARTICLES and _picking_word(tokens, index - 1)
        )

    return any(picks(index) for index in found.kinds)


def _picking_word(tokens: Sequence[str], index: int) -> bool:
    """Whether the word at ``index``, before a kind, may pick one device of the kind: not a
    colour, a number, a state, a group or a filler ("the two lamps", "the red light")."""
    word = tokens[index]
    return (
        word.isalpha()
        and word not in _NOT_PICKING
        and word not in COLOR_NAMES
        and word not in STATE_WORDS
        and word not in FILLERS
        and word not in _GROUP_WORDS
        and word not in WHOLE_HOME
        and word not in _PERCENT_WORDS
        and word not in _COMPARATIVES  # "set a dimmer light"
        and not read_numbers(tokens, index)
    )


_ARTICLES = ARTICLES | {"your", "this", "that"}
_NOT_PICKING = frozenset({
    "smart", "same", "usual", "only", "one", "whole", "entire", "electric", "little", "dang",
    "damn", "bloody", "darn", "stupid", "silly", "wifi", "led", "normal", "regular", "single",
    "power",
})  # fmt: skip
"""Words before a kind that pick no device of it ("the smart plug", "the stupid lamp")."""


_OPENINGS = frozenset({"door", "window", "gate", "hatch", "skylight"})
_PLACE_NOUNS = frozenset({"house", "room", "shed", "cabin", "hut", "cottage", "barn", "annex",
                          "annexe", "suite", "apartment", "studio"})  # fmt: skip
"""Nouns that make a device's word a place's: "the pool house"."""


def _later(tokens: Sequence[str], valued: bool) -> bool:
    """ "turn on the porch light at ten pm", "start the coffee tomorrow", "vacuum every day",
    "switch it off in an hour": a request for later, which edge-os cannot schedule. When the
    reading takes a number ("put the light at 40"), "at" and one number is that value."""
    if _for_later(tokens):
        return True
    numbers, end = 0, 0
    for i in range(len(tokens)):  # "twenty five" is one number
        if i >= end and (spans := read_numbers(tokens, i)):
            numbers, end = numbers + 1, spans[-1][0]
    for index, token in enumerate(tokens[:-1]):
        after = tokens[index + 1]
        if (
            token == "at"
            and (hour := read_numbers(tokens, index + 1))
            and (not valued or numbers > 1 or (_clock_hour(tokens, index + 1, hour[-1])))
        ):
            return True  # "turn the heating on at six", "the kitchen light off at eleven"
        if token == "every" and after in {"day", "night", "morning", "evening", "week"}:
            return True
        if after == "am" and read_numbers(tokens, index):
            return True  # "at seven am" ("i am leaving" is no time)
        if token in {"when", "once"} and (
            (after in _PRONOUNS or after in {"it", "it's"}) if index else _on_condition(tokens)
        ):  # "... when it gets dark"
            return True  # "open the garage when I get home", "once we're back, ..."
        if token in {"if", "unless", "whenever"} and after not in _POLITE_IF:
            if tokens[index : index + 3] in (
                ["whenever", "you're", "ready"],
                ["whenever", "youre", "ready"],
            ):
                continue  # "whenever you're ready": now, politely
            return True  # "if anyone rings the bell unlock the door": on a condition
        if (
            token in {"after", "when"}
            and tokens[index + 1 : index + 3]
            and (tokens[index + 2] in _SPANS if index + 2 < len(tokens) else False)
        ):
            return True  # "turn the volume down after this song"
        if token in {"in", "after", "for", "over"} and _DURATIONS & set(
            tokens[index + 1 : index + 4]
        ):
            if token == "for" and tokens[index + 1 : index + 3] in _A_MOMENT:
                continue  # "stop the music for a second": now
            return True
    return False


def _cover_verb_way(said: Sequence[str]) -> int:
    """+1 when a request's first verb opens a cover ("retract", "draw back", "roll up",
    "let the light in"), -1 when it closes one ("drop", "roll down", "bring ... down"),
    else 0."""
    if not said:
        return 0
    if said[0] == "retract" and {"awning", "awnings"} & set(said):
        return -1  # an awning retracted is rolled in: closed
    if said[0] in {"retract", "raise", "lift"} or said[:2] in (["draw", "back"], ["pull", "back"]):
        return 1
    if said[:4] == ["let", "the", "light", "in"] or said[:3] == ["let", "light", "in"]:
        return 1
    if said[0] in {"drop", "lower"}:
        return -1
    if said[0] not in {"draw", "roll", "pull", "bring", "put"}:
        return 0
    if said[0] == "draw" and {"back", "open", "apart"} & set(said):
        return 1  # "draw the blinds back" opens them, which _cover_way leaves open
    return _cover_way(said)  # "roll the garage door up", "draw the blinds" (closes)


def _level_with_colour(tokens: Sequence[str], meaning: Meaning) -> dict[str, SlotValue]:
    """The brightness said beside a colour ("set colin's lamp to blue at 50 %"), if any."""
    if meaning.value != "color" or not {"%", "percent", "brightness"} & set(tokens):
        return {}
    level = _value("brightness", tokens)
    return {} if level is None else {"brightness": level}


def _clock_hour(tokens: Sequence[str], index: int, number: tuple[int, float]) -> bool:
    """Whether the number said at ``index`` (ending where ``number`` says) is an hour of the
    clock, not a level: a whole number up to 12, said as a word, with no "%", "percent" or
    "brightness" in the sentence ("at eleven", not "at 40" nor "at ten percent")."""
    end, value = number
    return (
        value == int(value)
        and 1 <= value <= 12
        and tokens[index].isalpha()
        and not {"%", "percent", "brightness", "level", "volume", "degrees"} & set(tokens)
        and tokens[end : end + 1] not in ([","], ["point"], *_FRACTIONS)
    )


_FRACTIONS = [[w] for w in ("quarter", "quarters", "third", "thirds", "half", "fifth", "fifths")]


_LATER_PHRASES = (("in", "the", "morning"), ("in", "the", "evening"), ("this", "evening"),
                  ("next", "week"), ("next", "weekend"), ("this", "weekend"), ("next", "month"),
                  ("i'll", "want"), ("i'll", "need"), ("will", "need"))  # fmt: skip
"""Words of a time to come: "i'll want coffee in the morning", "the lawn will need ..."."""
_POLITE_IF = frozenset({"you", "u", "ya", "possible", "poss", "necessary", "needed", "that's",
                        "thats", "you'd", "youd"})  # fmt: skip
"""After "if", words of politeness ("if you could", "if possible"), not a condition."""


_FORECASTS = frozenset({("it'll", "be"), ("will", "be"), ("gonna", "be"), ("to", "be")})
"""A forecast ("it'll be dark by six", "it's going to be cold tonight"): with no word that
asks for anything, it tells, and asks nothing."""
_NEEDED_LATER = frozenset({("we'll", "need"), ("i'll", "need"), ("will", "need"),
                           ("gonna", "need"), ("you'll", "need")})  # fmt: skip
"""What will be needed ("we'll need the sprinkler on more once summer comes"): with no verb
that asks for it now, it tells, and asks nothing."""


def _elsewhen(tokens: Sequence[str]) -> bool:
    """Whether a time or date question asks about another day, a clock time or a zone."""
    return bool(_OTHER_DAYS & set(tokens)) or _numbered(tokens)


_ASKING = frozenset({"status", "state", "condition", "check", "know", "tell", "whether", "if",
                     "update", "report"})  # fmt: skip


def _named_positions(found: Mentions) -> frozenset[int]:
    """Where the likeliest device's name was said."""
    return found.entities[0].positions if found.entities else frozenset()


def _tells(tokens: Sequence[str], found: Mentions) -> bool:
    """Whether a verb outside the names tells something to be done, and no word asks."""
    named = _named_positions(found)
    said = {t for i, t in enumerate(tokens) if i not in named}
    return bool(said & _TELLING) and not said & _ASKING


def _in_passing(
    tokens: Sequence[str], found: Mentions, targeting: Targeting, meaning: Meaning
) -> bool:
    """ "the floor is filthy": a word of "Floor lamp" said in passing, no word asking for
    anything, is no request to that device."""
    named = found.entities[0] if found.entities and "name" in targeting.slots else None
    places: set[int] = set()
    for place in (*found.areas, *found.floors):
        places |= place.positions
    return (
        named is not None
        and named.score < 0.99
        and not named.positions <= places  # "the office is too bright": the place said
        and not meaning.query
        and not found.kinds
        and not _asks_for_action(tokens, found)
    )


def _asks_for_action(tokens: Sequence[str], found: Mentions) -> bool:
    """Whether a word outside the names asks for something to be done (or says on/off)."""
    named = _named_positions(found)
    said = {t for i, t in enumerate(tokens) if i not in named}
    # "um, lock the wine cellar", "lock back door": the verb first, though "Back Door Lock"
    # holds it, then an article or the rest of the name
    first = [i for i, t in enumerate(tokens) if t not in _WAKE_LEADS and t not in FILLERS][:2]
    if (
        len(first) == 2
        and tokens[first[0]] in _DO_WORDS
        and (tokens[first[1]] in _DETERMINERS or first[1] in named)
    ):
        return True
    if any(said_in(tokens, wish) for wish in _WISHES):
        return True  # "i'd love a coffee"
    return bool(said & (ACTION_WORDS | _UP_WORDS | _DOWN_WORDS | _KIND_VERBS))


_WISHES = (("i'd", "love"), ("we'd", "love"), ("would", "love"), ("could", "murder"),
           ("could", "do", "with"), ("could", "use"))  # fmt: skip
"""Ways of wanting something that are not "want": "i could murder a coffee"."""
_DETERMINERS = frozenset({"the", "my", "our", "all", "that", "this", "both", "every", "those",
                          "these", "your"})  # fmt: skip
_DO_WORDS = frozenset({"turn", "switch", "put", "open", "close", "lock", "unlock", "start",
                       "stop", "set", "make", "shut", "kill", "dim", "raise", "lower", "arm",
                       "disarm"})  # fmt: skip
_SWITCHING = frozenset({"enable", "disable", "activate", "deactivate", "toggle", "flip"})
_TELLING = (_DO_WORDS - {"put", "set", "make"}) | _SWITCHING | {"secure"}
"""Verbs that tell something to be done: with them a sentence is no question."""
_REQUEST_WORDS = _DO_WORDS | _SWITCHING | {
    "brighten", "clean", "dock", "vacuum", "pause", "resume", "play", "mute", "unmute", "skip",
    "on", "off", "up", "down", *_KIND_VERBS,
}  # fmt: skip
"""Words a request's own clause holds; a reason said with it holds none."""


def _named_whole(tokens: Sequence[str], entities: Sequence[Entity]) -> Entity | None:
    """The one of ``entities`` whose every name word the sentence says, if only one is."""
    said = {singular(token) for token in tokens}
    whole = [entity for entity in entities if (name := _name_words(entity)) and name <= said]
    return whole[0] if len(whole) == 1 else None


def _name_words(entity: Entity) -> set[str]:
    """The words of ``entity``'s name, each in the singular."""
    return {singular(w) for w in re.findall(r"[a-z0-9']+", entity.name.lower())}


def _named_by_noun(
    tokens: Sequence[str], found: Mentions, entities: Sequence[Entity]
) -> Entity | None:
    """ "the lamp" where one of the room's lights is called Floor lamp: the one whose name
    holds the noun said, when the noun is not the kind's own word ("the light")."""
    nouns = {singular(tokens[i]) for i in found.kinds} - set(KIND_WORDS.values())
    holding = [entity for entity in entities if nouns & _name_words(entity)]
    return holding[0] if len(holding) == 1 else None


_SO_THEN = frozenset({"it", "i", "we", "you", "they", "he", "she", "that", "the", "my", "can",
                      "could", "would", "please", "just"}) | _REQUEST_WORDS  # fmt: skip
"""After "so", words that start a clause ("I'm off to bed so switch off the light", "... so
it doesn't wake anyone"), unlike "so loud"."""
_CLAUSE_BREAK = re.compile(
    r"\s*[,;:]\s*|\s+(?=(?:" + "|".join(sorted(_REASON_STARTS)) + r")\b)"
    r"|\s+(?=so\s+(?:" + "|".join(sorted(_SO_THEN)) + r")\b)"
    r"|\s+(?=were\s+\w+ing\b)",  # speech-to-text's "were having a barbecue": we're
    re.IGNORECASE,
)
MAX_CLAUSES = 4
"""At most this many clauses of a sentence are read alone."""
_TAKEN_BACK = (
    ("no", "wait"),
    ("wait", "no"),
    ("actually", "don't"),
    ("never", "mind"),
    ("scratch", "that"),
    ("cancel", "that"),
    ("forget", "it"),
    ("or", "not"),
)
"""Words that take back what was just asked ("turn on the lamp, no wait")."""
_TAKING_BACK = frozenset({"no", "not", "don't", "wait", "actually", "instead", "never", "but"})


def _said_exactly(named: Sequence[Mention]) -> Mention:
    """The best of the names said: the top one, unless another was said at the same places
    with more of its words said exactly, and as much in one piece ("shut the main garage":
    Main Garage Door, word for word, over Main gate, whose "gate" only "garage" stood for)."""
    best = named[0]
    exacter = [
        m
        for m in named[1:]
        if m.positions >= best.positions
        and m.exact > best.exact
        and (m.contiguous or not best.contiguous)
    ]
    return max(exacter, key=lambda m: (m.exact, m.score)) if exacter else best


def _pulled(
    tokens: Sequence[str],
    name: str,
    meaning: Meaning,
    probability: float,
    entities: Sequence[Entity],
) -> tuple[str, Meaning, float]:
    """ "pull the blinds down, the sun's on the TV": a cover pulled down closes, whatever
    else the sentence says is on (asked first, as a reading the words had to bend)."""
    if (
        name in {"on", "off"}
        and (notch := _notched(tokens))
        and entities
        and all(
            e.domain is Domain.LIGHT and carries("HassLightSet", e, {"brightness_step": "up"})
            for e in entities
        )
    ):  # "floor lamp up a notch" is brighter, not on
        name = "brighter" if notch > 0 else "dimmer"
        return name, MEANINGS[name], probability
    way = _cover_way(tokens)
    if meaning.intent not in {"HassTurnOn", "HassTurnOff"} or not way or way == meaning.direction:
        return name, meaning, probability  # ("it's getting dark, draw the blinds" is "dark")
    if not all(e.domain is Domain.COVER for e in entities):
        return name, meaning, probability
    name = "on" if way > 0 else "off"
    return name, MEANINGS[name], min(probability, GUESSED)


_EVERY = frozenset({"every", "each", "all"})
"""Words that make a kind said in the singular all of them: "every light in the attic"."""
_HALFWAY = frozenset({"halfway", "half"})


def _halfway(
    tokens: Sequence[str],
    name: str,
    meaning: Meaning,
    slots: dict[str, SlotValue],
    entities: Sequence[Entity],
) -> tuple[str, Meaning]:
    """ "pull the blinds halfway down": to half, where the covers can be set to a position
    (``slots`` takes the position)."""
    if name not in {"on", "off"} or not _HALFWAY & set(tokens):
        return name, meaning
    half = MEANINGS["set_position"]
    if not all(carries_or_answers(half, e, {"position": 50}) for e in entities):
        return name, meaning
    slots["position"] = 50
    return "set_position", half


def _notched(tokens: Sequence[str]) -> int:
    """+1 for "up a notch", "up loads", -1 for "down a bit": a step, not on or off."""
    for index, token in enumerate(tokens[:-1]):
        after = tokens[index + 1 : index + 3]
        if token in {"up", "down"} and (after[:1] == ["loads"] or after in _NOTCHES):
            return 1 if token == "up" else -1
    return 0


def _beyond(tokens: Sequence[str], able: Sequence[Entity]) -> str | None:
    """Why the devices able to do it cannot be what was asked: none is, or "both bathroom
    fans" where there is one."""
    if not able:
        return "no named device can do it"
    if "both" in tokens and "and" not in tokens and len(able) == 1:
        return "it asks for two and one is there"  # not "toggle both X and Y", read by parts
    return None


_NOTCHES = (["a", "notch"], ["a", "bit"], ["a", "little"], ["a", "touch"], ["a", "tad"],
            ["a", "lot"], ["a", "smidge"], ["a", "fair"], ["some", "more"])  # fmt: skip


def _cover_way(tokens: Sequence[str]) -> int:
    """+1 when a cover is pulled, drawn or rolled up, -1 down, else 0."""
    moved = {t for i, t in enumerate(tokens) if i and tokens[i - 1] not in _NEGATIONS}
    if _COVER_VERBS & set(tokens) and ("up" in moved) != ("down" in moved):
        return 1 if "up" in moved else -1
    if "draw" in tokens and not {"back", "open", "apart", "up"} & set(tokens):
        return -1  # "draw the blinds" closes them; "draw them back" opens them
    return 0


_PRONOUNS = frozenset({"i", "i'm", "we", "we're", "you", "you're", "he", "she", "they",
                       "they're", "it's", "everyone", "somebody", "someone"})  # fmt: skip
_COVER_VERBS = frozenset({"pull", "draw", "roll", "bring", "put", "let", "lower", "raise"})


def _uninterrupted(tokens: list[str]) -> list[str]:
    """``tokens`` without the "hang on" or "hold on" they start with ("hang on, did I lock
    the garage door" asks, and its "on" is no direction), nor a polite lead ("do us a
    favour and pause the speakers", "i was wondering if you could unlock the door")."""
    while tokens[:2] in (["hang", "on"], ["hold", "on"]) and len(tokens) > 2:
        tokens = tokens[2:]
    for lead in _POLITE_LEADS:
        if tokens[: len(lead)] == list(lead) and len(tokens) > len(lead) + 1:
            return tokens[len(lead) :]
    return tokens


_POLITE_LEADS = tuple(
    tuple(lead.split())
    for lead in (
        "do us a favour and", "do me a favour and", "do us a favor and", "do me a favor and",
        "be a dear and", "be a love and", "if it's not too much trouble could you",
        "if its not too much trouble could you", "if it's not too much trouble",
        "if its not too much trouble", "i was wondering if you could",
        "i was wondering whether you could", "do you think you could", "do you reckon you could",
    )
)  # fmt: skip
"""Words before a request that only ask politely; read without them."""


def _bent(part: IntentResult, text: str, started: float) -> IntentResult:
    """The reading of a part of ``text`` as the reading of all of it: the words were bent
    to get it, so it is capped at GUESSED and asked before it is acted on."""
    latency_ms = (time.perf_counter() - started) * 1000
    confidence = min(part.confidence, GUESSED)
    return replace(part, text=text, confidence=confidence, latency_ms=latency_ms)


def request_clauses(text: str) -> list[str]:
    """The clauses of ``text`` that may be its request, when the others are its reason:
    each clause that asks for something, if every other clause asks for nothing and takes
    nothing back ("turn it on, no wait" is not "turn it on")."""
    clauses = [c for c in _CLAUSE_BREAK.split(text) if c.strip()]
    if len(clauses) < 2 or _tag_question(words(text)):
        return []  # "the patio heater's off, isn't it" asks: its first clause is no request
    said_all = words(text)
    if (
        addressed_to_someone(said_all)
        or any(words(c)[-1:] and words(c)[-1] in _DANGLING for c in clauses)
        or sarcastic(said_all)
        or any(
            _on_condition(words(c))
            or (
                _for_later(words(c))
                and (_asking_words(words(c)) & _REQUEST_WORDS or len(words(c)) <= 3)
            )
            for c in clauses
        )  # "tomorrow morning, ..."; not "put the chandelier on, grandma is visiting tonight"
    ):
        return []  # "if it rains, close the blinds"; "mum, can you switch off the fan"
    asking = _REQUEST_WORDS | _TAKING_BACK
    said = [_asking_words(words(c)) for c in clauses]
    # "bedroom light to ten percent please, I'm just reading": a first clause without a
    # verb is the request when the rest is a reason said as one
    verbless = not any(s & _REQUEST_WORDS for s in said) and bool(
        _REASON_STARTS & set(words(clauses[1])[:1])
    )
    return [
        _referred(clause, [c for other, c in enumerate(clauses) if other != index])
        for index, clause in enumerate(clauses)
        if (said[index] & _REQUEST_WORDS or (verbless and index == 0))
        and len(said[index]) > 1
        and not any(said[other] & asking for other in range(len(clauses)) if other != index)
    ]


def _referred(clause: str, others: Sequence[str]) -> str:
    """``clause`` with "it" or "them" put back as what another clause named: "the soundbar,
    mute it" is "mute the soundbar" (a clause that says more than a name leaves it as it
    is: "the kitchen is too bright, dim it" is read with the kitchen as its place)."""
    tokens = words(clause)
    at = next((i for i, t in enumerate(tokens) if t in _BACK_REFERENCES), None)
    if at is None:
        return clause
    for other in others:
        said = words(other)
        if said[:1] and said[0] in _DETERMINERS and len(said) > 1 and not _BEING_WORDS & set(said):
            return " ".join([*tokens[:at], *said, *tokens[at + 1 :]])
    return clause


_BEING_WORDS = frozenset({"is", "are", "was", "were", "seems", "looks", "feels", "has", "have"})
_DANGLING = frozenset({"when", "once", "if", "unless", "until", "till", "whenever", "before",
                       "after", "while"})  # fmt: skip
"""A clause that ends in one of these was cut from what it waits for: not read alone."""


_BACK_REFERENCES = frozenset({"it", "them"})
"""Words of a clause that point at what another clause named."""


def _for_later(tokens: Sequence[str]) -> bool:
    """ "tomorrow morning", "next week": a clause that says when, for a time to come."""
    return bool(_LATER & set(tokens)) or any(said_in(tokens, p) for p in _LATER_PHRASES)


def _on_condition(tokens: Sequence[str]) -> bool:
    """ "if it rains", "unless someone's in there", "when i get home", "once we're back":
    a clause that makes the request wait for something (not "if you could", "when is")."""
    rest = [t for t in tokens if t not in FILLERS]
    if any(rest[: len(lead)] == list(lead) for lead in _POLITE_LEADS):
        return False  # "if it's not too much trouble, could you ..."
    if rest[:1] and rest[0] in _SUPPOSING:
        return True  # "suppose i turned the fan up to full, would it be too loud"
    if rest[:1] and rest[0] in {"if", "unless", "whenever"}:
        return rest[1:2] != [] and rest[1] not in _POLITE_IF
    if rest[:1] == ["should"] and rest[1:2] and rest[1] in {"it", "anyone", "someone", "the"}:
        return True  # "should it get cold tonight, ..."
    if rest[:2] in (["when", "you"], ["once", "you"]):
        return rest[2:3] != [] and rest[2] in _NOTICING  # not "when you get a chance"
    for lead in _WAITING_LEADS:  # "as soon as the sun sets, ...", "once ...", "when ..."
        if rest[: len(lead)] == list(lead):
            return rest[len(lead) : len(lead) + 1] != [] and rest[len(lead)] in _WAITED_FOR
    return False


_SUPPOSING = frozenset({"suppose", "supposing", "imagine", "hypothetically"})
"""Words that start a hypothetical: nothing is asked for now."""
_WAITING_LEADS = (("when",), ("once",), ("as", "soon", "as"), ("the", "moment"), ("the", "minute"),
                  ("the", "second"), ("after",), ("until",), ("till",))  # fmt: skip
"""Leads of a clause that says what a request waits for."""


_NOTICING = frozenset({"hear", "see", "notice", "spot", "detect", "smell", "feel"})


_WAITED_FOR = frozenset({"i", "we", "he", "she", "they", "it", "it's", "i'm", "we're", "they're",
                         "he's", "she's", "the", "someone", "somebody", "anyone", "anybody",
                         "everyone", "my", "our", "everyone's", "everybody's", "someone's",
                         "somebody's", "anyone's"})  # fmt: skip
"""After "when" or "once", the start of what is waited for ("when the sun goes down")."""


def _asks_past_or_why(tokens: Sequence[str]) -> bool:
    """ "was the kitchen fan on last night", "were the lights on when i left", "why is the
    driveway fan on", "who left the lights on again?", "what time did the garage door
    close", "should i turn the heater off": not the state now, or not a state."""
    past = (tokens[:1] in (["was"], ["were"]) or bool({"was", "were"} & set(tokens))) and (
        bool(_TIMES_OF_DAY & set(tokens)) or "when" in tokens
    )
    return (
        past  # not "was the garage light left on", which asks how it is
        or tokens[:1] in (["why"], ["who"])  # "who left the lights on again?"
        or said_in(tokens, ("since", "when"))  # "since when has the fan been running?"
        or said_in(tokens, ("should", "i"))  # advice: "should i turn the heater off"
        or (tokens[:1] == ["did"] and said_in(tokens, ("this", "morning")))
        or said_in(tokens, ("what", "time", "did"))
        or said_in(tokens, ("when", "did"))
        or said_in(tokens, ("when", "was"))
        or bool({"yesterday", "ago", "earlier"} & set(tokens))
        or said_in(tokens, ("last", "night"))
    )


_TIMES_OF_DAY = frozenset({"morning", "afternoon", "evening", "night", "yesterday", "earlier"})


def sarcastic(tokens: Sequence[str]) -> bool:
    """ "sure, turn the heating off, see if i care", "yeah right, like i'd ever want ...":
    words that say the request is not meant."""
    return (
        any(said_in(tokens, phrase) for phrase in _SARCASM)
        or tokens[-2:] == ["why", "not"]
        or tokens[-3:] in (["why", "dont", "you"], ["why", "don't", "you"])
        or bool(_RICH & set(tokens))
    )


_SARCASM = (("see", "if", "i", "care"), ("as", "if"), ("like", "i'd", "ever"),
            ("like", "id", "ever"), ("like", "that's", "gonna"), ("will", "love", "that"),
            ("oh", "fantastic"), ("oh", "brilliant"), ("just", "what", "i", "needed"),
            ("oh", "yeah", "sure"), ("yeah", "right"), ("why", "not", "we're"),
            ("made", "of", "money"))  # fmt: skip
_RICH = frozenset({"millionaire", "millionaires", "billionaire", "billionaires"})
"""'turn the heating up to thirty, we're millionaires': said of a cost, in sarcasm."""


def _bare_value(
    tokens: Sequence[str], found: Mentions, meaning: Meaning, context: Sequence[str]
) -> bool:
    """ "set it to five", "blue": a value with no device, place, kind or quantity said and
    no conversation before it to say what."""
    return (
        meaning.value is not None
        and not context
        and not (found.entities or found.areas or found.floors or found.groups)
        and not (_QUANTITIES | _GROUP_WORDS) & set(tokens)
    )


_QUANTITIES = frozenset({"volume", "brightness", "bright", "brighter", "dim", "dimmer",
                         "temperature", "degrees", "degree", "heat", "heating", "loud",
                         "louder", "quiet", "quieter", "sound", "music", "warm", "warmer",
                         "cool", "cooler", "cold", "hot", "speed", "fan", "position"})  # fmt: skip
"""Words that say what a value is of: "volume 30", "brightness to half"."""


def _off_misheard(tokens: list[str]) -> list[str]:
    """ "turn of the plug": speech-to-text's "of" for "off" after a switching verb (it had
    been read as on)."""
    switching = {"turn", "switch", "shut", "turned"}
    return [
        "off"
        if t == "of"
        and i
        and (
            tokens[i - 1] in switching
            or (switching & set(tokens[:i]) and tokens[i + 1 : i + 2] in ([], ["in"], ["please"]))
        )  # "turn the ceiling light of in the kitchen"
        else t
        for i, t in enumerate(tokens)
    ]


_SOUND_WORDS = (
    NOUN_GROUPS["media"]
    | NOUN_GROUPS["tv"]
    | {"loud", "louder", "loudness", "quiet", "quieter", "sound", "noise", "level", "it"}
)
"""Words that make a level one of sound ("it": "set it to 30" after a song, in context)."""


def _other_quantity(tokens: Sequence[str], meaning: Meaning) -> bool:
    """ "lower the volume on the dining room light": a quantity said that the reading's
    kind of device does not have (it had dimmed the light)."""
    said = set(tokens)
    return ("volume" in said and meaning.group in {"light", "climate", "fan"}) or (
        "brightness" in said and meaning.group in {"media", "climate", "fan"}
    )


def _leaving(tokens: Sequence[str]) -> bool:
    """ "run! get out of the house and lock the door behind you!": someone told to leave;
    "can you get the door, love?": to answer it."""
    return any(said_in(tokens, phrase) for phrase in _LEAVING) or tokens[-2:] == ["for", "what"]


_LEAVING = (("get", "out"), ("out", "of", "the", "house"), ("out", "of", "here"),
            ("behind", "you"), ("get", "the", "door"), ("answer", "the", "door"))  # fmt: skip
"""Someone told to leave, or to go to the door ("can you get the door, love?")."""


def _priced(tokens: Sequence[str]) -> bool:
    """ "we bought the floor lamp for forty quid", "i got twenty percent off the desk lamp",
    "the blinds are two meters wide": a number that is a price, a discount or a size."""
    return said_in(tokens, ("percent", "off")) or any(
        t in _UNITS_NOT_SET and i and read_number(list(tokens), i - 1)[1]
        for i, t in enumerate(tokens)
    )


_UNITS_NOT_SET = frozenset({"quid", "pounds", "pound", "dollars", "dollar", "bucks", "euros",
                            "euro", "pence", "cents", "meters", "metres", "meter", "metre",
                            "feet", "foot", "inches", "inch", "centimetres", "centimeters",
                            "cm", "kilos", "kilograms", "kg", "years"})  # fmt: skip
"""Units of what no device here is set to: money, length, weight, age."""


def _kept(tokens: Sequence[str]) -> bool:
    """ "no, leave the blinds open", "let's just leave every light on all night", "leave the
    lamp" (after "turn the ceiling light off and"): asks that things stay as they are (not
    "turn off the lamp but leave the fan on", which asks one thing and keeps another)."""
    if "leave" not in tokens:
        return False
    index = tokens.index("leave")
    return all(t in _NOT_CALLED or t in _BEFORE_LEAVE for t in tokens[:index])


def _left(tokens: Sequence[str], best: Mention) -> bool:
    """ "just the ceiling one, leave the counter lights, switch it off": the one device
    named is named as the one to leave."""
    before = [t for t in tokens[: min(best.positions)] if t not in _DETERMINERS]
    return before[-1:] == ["leave"]


_BEFORE_LEAVE = frozenset({"just", "let's", "lets", "and", "then", "maybe", "can", "you",
                           "could", "we", "i"})  # fmt: skip
_SELF = frozenset({"myself", "ourselves"})
_SHOULD = (["we", "should"], ["i", "should"], ["you", "should"], ["someone", "should"])
_PERSONAL = frozenset({"phone", "phones", "laptop", "tablet", "ipad", "iphone", "computer", "pc",
                       "headphones", "earbuds"})  # fmt: skip
"""Devices of a person's own, which a home's registry does not hold unless it names them."""


def _owned_elsewhere(tokens: Sequence[str], found: Mentions) -> bool:
    """ "lower the volume on my phone": a person's own device, outside the device's name
    ("the phone is ringing, pause the music" only says why)."""
    named = _named_positions(found)
    return any(
        token in _PERSONAL and index not in named and tokens[index - 1] in _POSSESSIVES
        for index, token in enumerate(tokens)
        if index
    )


_POSSESSIVES = frozenset({"my", "your", "his", "her", "our", "their"})


_CALLED = re.compile(r"^\W*([A-Za-z]+)\s*,")
"""A sentence's first word, with a comma after it."""
_INTERJECTIONS = frozenset({"ok", "okay", "right", "so", "yes", "yeah", "yep", "well", "please",
                            "sorry", "alright", "listen", "look", "great", "thanks", "cheers",
                            "hello", "hi", "hey", "oh", "now", "morning", "evening", "sure",
                            "fine", "no", "nope", "wait", "actually", "shh", "shush",
                            "psst"})  # fmt: skip
"""First words that call no one: "ok, turn on the light"."""
_NOT_CALLED = _INTERJECTIONS | FILLERS | set(ASSISTANT_NAMES) | set(WAKE_LEADS)


def addressed_to_someone(tokens: Sequence[str]) -> bool:
    """ "mum, can you switch off the bathroom fan", "kids turn the speakers down", "mike
    switch the garage light off": said to someone in the room, not to the assistant ("kids
    room light off" names a room; "hey sam, ..." may be the assistant's own name)."""
    rest = [t for t in tokens if t not in FILLERS]
    called = rest[0] in _ADDRESSEES or (rest[0] in FIRST_NAMES and tokens[0] not in WAKE_LEADS)
    if any(said_in(tokens, ("before", "you", going)) for going in _GOING):
        return True  # "switch the coffee machine off before you leave": no assistant leaves
    return (
        len(rest) > 1
        and called
        and (rest[1] in _ASKED_TO_DO or rest[1:3] in (["did", "you"], ["do", "you"]))
    )  # "tom did you open the blinds", "honey do you want a coffee"


_GOING = ("leave", "go", "head", "set")


_ASKED_TO_DO = (_COMMAND_STARTS - {"is", "are", "what", "what's", "whats", "how", "i", "i'd",
                                   "i'm", "lights", "light", "let's", "do"}) | {
    "you", "go"} | _KIND_VERBS | {"draw"}  # fmt: skip
"""Words after an addressee that ask them to do something ("mum, can you ...", "mum draw
the blinds would you")."""


_ADDRESSEES = frozenset({"mum", "mom", "mummy", "mommy", "mam", "dad", "daddy", "kids",
                         "children", "boys", "girls", "guys", "honey", "hun", "babe",
                         "darling", "sweetheart", "sweetie", "son", "grandma", "grandpa",
                         "granny", "grandad", "nan", "nana"})  # fmt: skip


def place_of_reason(finder: MentionFinder, text: str, clause: str) -> str | None:
    """The room the rest of ``text`` names when its request ``clause`` names none: "it's
    dark in the kitchen, pop the lights on" is the kitchen's lights, not those of the room
    it was said in. None when the clause names its own place or nothing else names one;
    "" when the rest names a floor or more than one room (the clause is not read alone)."""
    own = finder.find(clause)
    if own.areas or own.floors:
        return None
    said = finder.find(text)
    if said.floors or len({m.id for m in said.areas}) > 1:
        return ""
    return said.areas[0].id if said.areas else None


def _asking_words(tokens: Sequence[str]) -> set[str]:
    """The words of a clause, less the ways that only describe: "it's been on all morning",
    "it's roasting up there" ask for nothing."""
    return {
        t
        for i, t in enumerate(tokens)
        if not (
            t in _WAYS
            and ((i and tokens[i - 1] in _BEING) or tokens[i + 1 : i + 2] in (["there"], ["here"]))
        )
        and not _going(tokens, i)
    }


def _going(tokens: Sequence[str], index: int) -> bool:
    """ "we're off to bed", "i'm coming down": a person going, not a direction."""
    before = tokens[max(0, index - 2) : index]
    last = tokens[index] in {"up", "down"} and index == len(tokens) - 1  # "... off, she's up"
    if (tokens[index] == "off" or last) and before and before[-1] in _PEOPLE_BEING:
        return True
    if tokens[index] == "off":
        return False
    return (
        tokens[index] in {"up", "down", "out", "in"}
        and len(before) == 2
        and (before[0] in _PEOPLE_BEING or before[0] in {"is", "are"})  # "grandpa is coming down"
        and before[1] in {"coming", "going", "heading", "headed"}
    )


_PEOPLE_BEING = frozenset({"i'm", "we're", "they're", "he's", "she's", "you're", "am"})


_WAYS = frozenset({"on", "off", "up", "down"})
_BEING = frozenset({"is", "are", "was", "were", "been", "be", "it's", "that's", "still"})


def forbids(tokens: Sequence[str]) -> bool:
    """ "don't turn on the light", "do not unlock the door", "no need to lock the door",
    "i didn't ask you to turn the music down", "leave the heating as it is": a request not
    to act ("don't forget to lock the door" asks)."""
    if any(said_in(tokens, phrase) for phrase in _AS_IT_IS):
        return True
    for index, token in enumerate(tokens):
        if token not in _NEGATIONS | _NEGATED_PAST:
            continue
        after = tokens[index + 1 : index + 5]
        if _REMINDING & set(after):
            continue
        if any(t in _FORBIDDEN for t in after[: 2 if token in _NEGATIONS else 4]):
            return True
        if after[:2] in (["need", "to"], ["have", "to"], ["ask", "you"], ["want", "you"]):
            return any(t in _FORBIDDEN for t in after)
        if (
            after[:1] in (["want"], ["need"])
            and after[1:2] != []
            and after[1] not in _DETERMINERS
            and not STATE_WORDS.keys() & set(tokens)
        ):
            return True  # "i don't want coffee" (not "i don't want the lights on")
        if after[:1] in (["want"], ["need"]) and _COMPARATIVES & set(tokens[index + 1 :]):
            return True  # "i don't want the lights any dimmer"
        if after[:1] in (["want"], ["need"]) and tokens[-1] in _STATES_NOT_WANTED:
            return True  # "i don't want the music paused"
    return False


def _part_way(tokens: Sequence[str], found: Mentions) -> bool:
    """ "crack the blinds open a bit", "open the garage door a little": a cover part of the
    way, which a bare open or close would overdo."""
    covers = {"cover", "garage"} & found.groups.keys() or any(
        m.id.startswith("cover.") for m in found.entities[:1]
    )
    if {"halfway", "partway", "midway"} & set(tokens) or said_in(tokens, ("half", "way")):
        return True  # "close the sunroom blinds halfway", whatever they are
    return bool(covers) and (
        "crack" in tokens
        or "slightly" in tokens
        or any(said_in(tokens, ("a", w)) for w in ("little", "bit", "touch", "tad", "fraction"))
        or said_in(tokens, ("of", "the", "way"))  # "a quarter of the way"
    )


_JOINING = frozenset(word for joiner in JOINERS for word in joiner)
_CUT_OFF = frozenset({"the", "a", "an", "my", "your", "our", "and"})
_LIT = frozenset({"dark", "darker", "bright", "brighter", "dim", "dimmer", "gloomy", "black",
                  "glare", "glaring", "dazzling", "lighter"})  # fmt: skip
"""Words of how lit a place is: "it's dark in the master bedroom" asks of its lights."""
_TIME_WORDS = frozenset({"time", "clock", "o'clock", "hour", "hours", "minutes", "when"})
_LIGHT_PARTS = frozenset({"light", "lights", "lamp", "bulb", "bulbs"})


def _cut_before_value(tokens: Sequence[str], found: Mentions, meaning: Meaning) -> bool:
    """ "set the bedside lamp to": a name, then "to", and nothing after it (not "the music's
    too quiet to dance to")."""
    said = _named_positions(found) | frozenset(found.kinds)
    return not meaning.query and tokens[-1] in {"to", "at", "by"} and len(tokens) - 2 in said


def _not_asked_now(tokens: Sequence[str], found: Mentions) -> str | None:
    """Why the sentence speaks of a request without making it: how it is done ("show me
    how to lock the door"), a request for someone or something else to make ("tell alexa
    to ...", "text dad to lock the door"), a reminder, a quote ("the song goes turn the
    lights down low"), what the speaker will do ("i'll use the app to turn it off"),
    another home ("lock the door at mum's house"), or a "what if"."""
    if any(said_in(tokens, how) for how in _HOW_TO):
        return "it asks how something is done"
    if _either(tokens, found):
        return "it names two devices or places, either of which may be meant"
    if not_meant(tokens):
        return "it is not meant now"  # "hypothetically could you unlock the front door"
    for index, token in enumerate(tokens):
        after = tokens[index + 1 : index + 4]
        if token in _MESSAGING and after[:1] and after[0] in _OTHERS and "to" in after:
            return "it asks someone or something else to do it"
        if token == "remind" and after[:1] in (["me"], ["us"]) and after[1:2] == ["to"]:
            return "it asks for a reminder, which edge-os does not keep"
        if token in _QUOTING and index > 1 and tokens[index - 2] in _DETERMINERS:
            return "it quotes what something says"  # "the instructions say switch ..."
    if tokens[:1] in (["i'll"], ["ill"], ["we'll"]) and tokens[1:2] and tokens[1] in _DOING:
        return "the speaker will do it"
    named = _named_positions(found) | frozenset(found.kinds)
    theirs = any(t in _OTHER_HOMES and i + 1 in named for i, t in enumerate(tokens))
    if (
        theirs
        or any(said_in(tokens, p) for p in _AWAY)
        or any(t.endswith("'s") and after in _HOMES for t, after in pairwise(tokens))
    ):
        return "it is about another home"  # "put the neighbours sprinkler off"
    return None


_HOW_TO = (("how", "to"), ("how", "do", "i"), ("how", "do", "you"), ("how", "can", "i"),
           ("how", "would", "i"), ("how", "should", "i"))  # fmt: skip
_NOT_MEANT = frozenset({"hypothetically", "theoretically", "supposing", "pretend", "imagine"})


def negated(tokens: Sequence[str]) -> bool:
    """Whether a word of ``tokens`` says no ("don't touch the blinds")."""
    return bool(_NEGATIONS & set(tokens))


def excepted(tokens: Sequence[str]) -> bool:
    """ "turn off everything except the desk light", "all the lights but not the floor
    lamp": a request with an exception, which no one reading keeps to."""
    if {"except", "excepting"} & set(tokens) or any(said_in(tokens, p) for p in _EXCEPTIONS):
        return True
    # "turn off the counter lights but not the ceiling light" names what it asks for
    return bool(_ALL_WORDS & set(tokens)) and any(said_in(tokens, p) for p in _BUT_NOT)


_EXCEPTIONS = (("apart", "from"), ("other", "than"), ("everywhere", "but"),
               ("everything", "but"), ("all", "but"))  # fmt: skip
_BUT_NOT = (("but", "not"), ("but", "leave"), ("but", "keep"), ("but", "the"))
_ALL_WORDS = frozenset({"all", "every", "everything", "everywhere", "whole", "entire"})


def not_meant(tokens: Sequence[str]) -> bool:
    """ "hypothetically could you unlock the front door": a request only imagined."""
    return bool(_NOT_MEANT & set(tokens))


_MESSAGING = frozenset({"tell", "ask", "get", "text", "message", "remind", "call"})
_QUOTING = frozenset({"say", "says", "said", "goes", "sings", "reads"})
_DOING = frozenset({"turn", "switch", "use", "do", "open", "close", "lock", "unlock", "put",
                    "set", "start", "stop", "dim", "sort", "handle", "go", "get"})  # fmt: skip
_OTHER_HOMES = frozenset({"neighbours", "neighbors", "neighbour's", "neighbor's", "neighbours'",
                          "neighbors'"})  # fmt: skip
_HOMES = frozenset({"house", "place", "flat", "home", "apartment", "cottage"})
_AWAY = (("in", "town"), ("at", "work"), ("next", "door"))


def both_ways(tokens: Sequence[str]) -> bool:
    """ "turn the floor lamp on and off", "make it brighter and dimmer": both ways at once."""
    for index, token in enumerate(tokens):
        rest = tokens[index + 1 : index + 4]
        if token in _UP_WORDS | _DOWN_WORDS and rest[:1] == ["and"]:
            other = rest[2] if rest[1:2] == ["also"] and len(rest) > 2 else rest[1:2] and rest[1]
            if other and (
                (token in _UP_WORDS and other in _DOWN_WORDS)
                or (token in _DOWN_WORDS and other in _UP_WORDS)
            ):
                return True
        then = rest[2:3] if rest[1:2] in (["then"], ["also"]) else rest[1:2]
        if rest[:1] == ["and"] and then and frozenset({token, then[0]}) in _OPPOSITE_VERBS:
            return True  # "pause and resume the tv", "send out and call back the vacuum"
    return False


_OPPOSITE_VERBS = frozenset(frozenset(pair) for pair in (
    ("pause", "resume"), ("pause", "play"), ("pause", "unpause"), ("lock", "unlock"),
    ("open", "close"), ("mute", "unmute"), ("start", "stop"), ("start", "dock"),
    ("out", "call"), ("out", "dock"),
))  # fmt: skip
"""Verbs of opposite ways, said joined by "and"."""


def _either(tokens: Sequence[str], found: Mentions) -> bool:
    """ "toggle angela's or angie's lamp", "the kitchen light or the hall light": one of two
    devices (or places) said either side of "or" (not "on or off")."""
    named = [m.positions for m in (*found.entities, *found.areas)]
    named += [frozenset({i}) for i in found.kinds]  # "the plug or the coffee machine"
    for index, token in enumerate(tokens):
        if token != "or" or tokens[index + 1 : index + 2] in (["off"], ["on"], ["not"]):
            continue
        starts = any(min(p) < index for p in named) and any(min(p) > index for p in named)
        ends = any(max(p) < index for p in named) and any(max(p) > index for p in named)
        if starts or ends:  # "the bedroom light or the bedroom fan": "bedroom" said once
            return True
    return False


def _several(tokens: Sequence[str]) -> bool:
    """ "close the blinds and turn on the lamp": two requests, each with its own verb, which
    no one reading of the whole may stand for (the engine reads them clause by clause)."""
    clauses: list[list[str]] = [[]]
    for token in tokens:
        if token in _JOINING:
            clauses.append([])
        elif token not in FILLERS:
            clauses[-1].append(token)
    return sum(1 for clause in clauses if clause[:1] and clause[0] in COMMAND_VERBS) > 1


def _state_wanted(tokens: Sequence[str], found: Mentions, first: Domain | None) -> str | None:
    """ "side garage door down": a device and, last, the state wanted, with no word that
    asks ("is", "still", "what") - "on" or "off", else None. Up and down only for covers;
    ``first``: the domain of the device named best."""
    last = tokens[-1]
    if last not in _WANTED_STATES or is_question(tokens) or len(tokens) < 2:
        return None
    if _NOT_WANTING & set(tokens):
        return None  # "gym light on or off", "the lights, did i leave them on"
    if first == Domain.LOCK and last not in {"open", "closed", "shut"}:
        return None  # "the spots in the art studio on" is not the art studio's lock
    cover = {"cover", "garage"} & found.groups.keys() or first == Domain.COVER
    if last in {"up", "down"} and not cover:
        return None
    return _WANTED_STATES[last]


_NOT_WANTING = frozenset({"is", "are", "was", "were", "still", "it", "they", "them", "anything",
                          "or", "did", "does", "do", "if", "whether", "wonder", "left",
                          "leave"})  # fmt: skip
_WANTED_STATES = {"on": "on", "open": "on", "up": "on", "off": "off", "closed": "off",
                  "shut": "off", "down": "off"}  # fmt: skip


def _already(tokens: Sequence[str], direction: int) -> bool:
    """ "the lights are off again" read as off: a state told, the one the reading would make,
    with no verb asking for it ("it's dark in here" read as on asks for the opposite)."""
    if (_DO_WORDS | _SWITCHING | _ASKING_FOR) & set(tokens) or said_in(tokens, ("see", "that")):
        return False  # "ensure the fan is off", "i want that ...", "see that the door is locked"
    for index, token in enumerate(tokens):
        if token in {"is", "are"} or token.endswith(("'s", "'re")):
            after = [t for t in tokens[index + 1 : index + 4] if t not in {"still", "all", "both"}]
            state = STATE_WORDS.get(after[0]) if after else None
            if state is None and token in {"is", "are"}:
                state = next((STATE_WORDS[t] for t in after if t in STATE_WORDS), None)
            if state is not None:  # not "just sam's lamp off"
                return (state in {"on", "open", "locked", "playing"}) == (direction > 0)
    return False


def _reports(tokens: Sequence[str]) -> bool:
    """ "the garage door was left open all night", "my husband said he already switched off
    the heating": what was, or what someone said, not a request; nor "tell your brother to
    turn his music down", asked of someone else."""
    if _REPORTING & set(tokens) or any(said_in(tokens, ("last", t)) for t in _PERIODS):
        return True  # "last winter we had the heating on twenty two"
    if said_in(tokens, ("last", "time")) and {"was", "were"} & set(tokens):
        return True  # "last time we set the fan to fifty it was way too noisy"
    if said_in(tokens, ("asleep", "with")):
        return True  # "dad fell asleep with the reading lamp on"
    if any(said_in(tokens, (p, be, "being")) for p in _PEOPLE for be in ("are", "is")):
        return True  # "the kids are being too loud": people, not a device
    done = [t for t in tokens[1:3] if t not in {"just", "already", "literally", "actually"}]
    if (
        tokens[:1] in (["you"], ["he"], ["she"], ["they"], ["i"], ["we"])
        and done
        and done[0].endswith("ed")
        and _EARLIER & set(tokens)
    ):
        return True  # "you unlocked the garden gate this morning", "i called it back earlier"
    if (
        tokens[:1] in (["i"], ["we"])
        and done
        and done[0] in _DONE_BY_ME
        and not (_DO_WORDS | _SWITCHING | {"please", "can", "could"}) & set(tokens[2:])
    ):
        return True  # "i (just) turned the floor lamp off": what the speaker did
    for index, token in enumerate(tokens):
        if token in {"tell", "ask"} and _PEOPLE & set(tokens[index + 1 : index + 3]):
            return True
        if (
            token == "left"
            and index
            and tokens[index - 1] in _PRONOUNS
            and (_WAS & set(tokens[index + 1 : index + 6]))
        ):
            return True  # "dad, you left the fan on again", not "i left my keys in there"
    for index, token in enumerate(tokens[:-1]):
        after = tokens[index + 1]
        if token == "already" and (after.endswith("ed") or after in _DONE_IRREGULAR):
            return True  # "he already switched it off"
        if index and token in {"was", "were"} and _WAS & set(tokens[index + 1 : index + 4]):
            return True  # "the door was left open"
        if (
            index
            and token in {"was", "were"}
            and "too" in tokens[index + 1 : index + 4]
            and not (_DO_WORDS | _SWITCHING) & set(tokens)
        ):
            return True  # "the garage stereo was far too loud at the party"
    return False


_BEFORE_VERB = frozenset({"please", "can", "could", "would", "will", "you", "go", "ahead",
                           "and", "just", "now"})  # fmt: skip
"""Words said before a request's verb ("could you please just ...")."""
_DONE_IRREGULAR = frozenset({"did", "done", "shut", "sent", "put", "set", "ran", "made", "got",
                             "cut", "left", "brought", "took", "gave", "told"})  # fmt: skip
"""Past forms without "-ed": after "already", what was done ("i already sent it home")."""
_PEOPLE = frozenset({"brother", "sister", "mum", "mom", "dad", "him", "her", "them", "kids",
                     "son", "daughter", "wife", "husband", "grandma", "grandpa",
                     "everyone"})  # fmt: skip
_OTHERS = frozenset(ASSISTANT_NAMES) | FIRST_NAMES | _PEOPLE | {"someone", "somebody"}
"""Who else may be asked: "tell alexa to", "get the kids to", "text dad to"."""
_DONE_BY_ME = _PARTICIPLES | {"unmuted", "had", "called", "sent"}
_EARLIER = frozenset({"earlier", "yesterday", "morning", "afternoon", "ago", "before"})
"""Words that put what was done in the past ("i called the vacuum back earlier")."""
"""After "i" or "we", what the speaker did ("i turned it off earlier"), not what they ask."""
_REPORTING = frozenset({"said", "says", "told", "yesterday", "ago", "itself", "themselves",
                        "saying", "messaged", "texted", "emailed"})  # fmt: skip
_PERIODS = ("night", "week", "weekend", "month", "year", "winter", "summer", "spring",
            "autumn", "fall", "christmas")  # fmt: skip
_WAS = frozenset({"left", "on", "off", "open", "opened", "closed", "locked", "unlocked", "shut"})


_COMPARATIVES = frozenset({"dimmer", "brighter", "louder", "quieter", "warmer", "cooler",
                           "hotter", "colder", "higher", "lower", "darker", "lighter"})  # fmt: skip
_FORBIDDEN = _DO_WORDS | {"fire", "crank", "pop", "flick", "knock", "bump", "whack", "douse",
                          "boot", "power", "bother", "pause", "play", "mute", "unmute",
                          "resume", "vacuum", "clean", "skip", "send", "dock", "run",
                          "brighten", "dispatch", "deploy", "park", "recall", "draw",
                          "pull", "roll", "lift", "drop", "let", "call"} | _SWITCHING  # fmt: skip
"""Verbs a request not to act names ("please don't fire up the attic fan")."""
_STATES_NOT_WANTED = frozenset({"paused", "muted", "unmuted", "stopped", "docked"})
"""States said unwanted that no on or off reading undoes ("i don't want the music paused")."""
_NEGATED_PAST = frozenset({"didn't", "didnt", "needn't", "shouldn't", "mustn't"})
_REMINDING = frozenset({"forget", "remember", "forgetting"})
_AS_IT_IS = (("as", "it", "is"), ("as", "they", "are"), ("as", "is"), ("leave", "it", "be"),
             ("leave", "them", "be"))  # fmt: skip
"""Words that ask for nothing to change: "leave the heating as it is"."""


def _locks_no_lock(tokens: Sequence[str], found: Mentions) -> bool:
    """ "lock the garage door" where the garage door is a cover: no reading of it is right
    (opening it is the opposite of what was meant)."""
    return bool(_LOCKING & set(tokens)) and any(
        not m.id.startswith("lock.") for m in found.entities[:1]
    )


def _not_for_its_kind(tokens: Sequence[str], found: Mentions, name: str) -> str | None:
    """Why a request cannot be done to the kind of device named: "lock the garage door"
    where it is a cover, "dim the front door lock", "stop the blinds where they are"."""
    if _locks_no_lock(tokens, found):
        return "it asks to lock or unlock what has no lock"
    if _lock_unsaid(tokens, found, name):
        return "it says neither lock nor unlock of a lock"
    if (
        name in {"on", "off"}
        and found.entities
        and found.entities[0].id.startswith("cover.")
        and [t for t in tokens if t not in _BEFORE_VERB][:1] == ["stop"]
    ):
        return "it asks to stop a cover where it is, which edge-os cannot"
    return None


def _lock_unsaid(tokens: Sequence[str], found: Mentions, name: str) -> bool:
    """ "dim the front door lock", "set off the back door": on or off read for a lock
    whose words say no way to turn it (a lock is only locked or unlocked as said)."""
    if name not in {"on", "off", "toggle"} or not found.entities:
        return False
    if not found.entities[0].id.startswith("lock."):
        return False
    noun = max(found.entities[0].positions)  # "the front door lock": a name, not a verb
    said = {t for i, t in enumerate(tokens) if i != noun or i == 0}
    return not (_LOCKING | _OPENING_WORDS) & said


_OPENING_WORDS = frozenset({"open", "opened", "close", "closed", "shut", "release", "released",
                            "let", "toggle", "flip", "locking", "unlocking", "engage",
                            "disengage", "engaged", "disengaged", "undo"})  # fmt: skip
"""Words that turn a lock one way or the other besides locking ones ("open the front door")."""
_LOCKING = frozenset({"lock", "unlock", "locked", "unlocked", "bolt", "unbolt", "deadbolt",
                      "bolted", "unbolted", "latch", "unlatch", "latched",
                      "unlatched", "secure", "unsecure"})  # fmt: skip


def _contradicts(tokens: Sequence[str], meaning: Meaning, found: Mentions) -> bool:
    """The sentence's own direction words say the opposite of the reading."""
    if meaning.intent == "HassVacuumStart" and said_in(tokens, ("set", "off")):
        return False  # "set off the vacuum": it goes
    return bool(meaning.direction) and _direction_said(tokens, found) == -meaning.direction


def _direction_said(tokens: Sequence[str], found: Mentions) -> int:
    """+1 when the sentence's own words say only up or on, -1 only down or off, else 0."""
    named = _named_positions(found)  # "Lower garden light" is a name
    felt = _complaints(tokens)
    if found.entities and not found.entities[0].id.startswith("climate."):
        felt -= {i for i in felt if tokens[i] in _FELT_HEAT}  # "so hot" wants the fan on
    rest = [(i, t) for i, t in enumerate(tokens)
            if i not in named and i not in felt and not _going(tokens, i)]  # fmt: skip
    said = {t for _, t in rest}
    if said_in(tokens, ("kick", "off")):
        said.discard("off")  # "kick off a cleaning run" starts it
    for place, (_, token) in enumerate(rest):
        before = {t for _, t in rest[max(0, place - 4) : place]}
        if token in _UP_WORDS | _DOWN_WORDS and _NEGATIONS & before:
            said.discard(token)  # "we don't need study room lights on anymore" asks for off
            if _WANTING & before:  # "i don't want the blinds down": up
                said.add("off" if token in _UP_WORDS else "on")
    for little in {w for words_, _ in _LESS_OF.values() for w in words_}:
        if said_in(tokens, ("less", little)):  # "a little less dim": up
            said = (said - {"less", little}) | {"up"}
    if found.entities and found.entities[0].id.startswith("lock."):
        said = {_LOCK_SENSE.get(t, t) for t in said}  # "open the lock" unlocks it
    up, down = bool(said & _UP_WORDS), bool(said & _DOWN_WORDS)
    if said_in(tokens, ("hear", "myself", "think")) or _GLARE & said:
        down = True  # "i can't hear myself think": too loud; "the glare on the porch"
    for index in felt:  # "too loud" asks for less, "it's a bit dim" for more
        up = up or tokens[index] in _TOO_LITTLE
        down = down or tokens[index] in _TOO_MUCH
    return int(up) - int(down)


def _complaints(tokens: Sequence[str]) -> set[int]:
    """Where a state is said as too much or too little: "too loud", and "it's a bit dim"
    or "so dark in here" where no verb asks for it ("make it a bit dim" wants it dim)."""
    verbs = [i for i, t in enumerate(tokens) if t in _DO_WORDS]
    return {
        index + 1
        for index, token in enumerate(tokens[:-1])
        if tokens[index + 1] in _TOO_LITTLE | _TOO_MUCH
        and (token == "too" or (token in _DEGREE and not set(verbs) - {index + 1}))
    }


_FELT_HEAT = frozenset({"hot", "warm", "cold", "chilly"})
_FEEL_COLD = frozenset({
    "cold", "chilly", "freezing", "frozen", "nippy", "icy", "perishing", "parky", "baltic",
    "arctic", "frosty", "shivering", "shivery", "goosebumps", "numb", "chilled", "brr",
})  # fmt: skip
"""Words that say the speaker is cold: never the name of a device (a fridge or an icebox
may be one)."""
_FEEL_HOT = frozenset({
    "hot", "boiling", "roasting", "baking", "melting", "sweltering", "scorching", "sweating",
    "sweaty", "stuffy", "muggy", "sticky", "clammy", "tropical", "overheating",
})  # fmt: skip
"""Words that say the speaker is too hot ("warm" may be wanted: "make it warm"; "humid" asks
about humidity, which edge-os does not report)."""
_BODY = frozenset({"feet", "foot", "hands", "hand", "fingers", "toes", "nose", "ears", "face",
                   "bones"})  # fmt: skip
_INTENSIFIERS = frozenset({"flipping", "freaking", "bloody", "damn", "proper", "dead",
                           "utterly", "completely"})  # fmt: skip


_TEMPERATURE_WAY = {1: "warmer", -1: "cooler"}
_LIKENED = frozenset({"is", "are", "am", "was", "were", "it's", "i'm", "its", "im", "feel",
                      "feels", "felt"})  # fmt: skip


def _compared(tokens: Sequence[str], index: int) -> bool:
    """Whether the word at ``index`` is what something is likened to: "my hands are like
    ice", "it feels like a fridge" (a wish, "i'd like netflix on", names something)."""
    return tokens[index - 1 : index] == ["like"] and index >= 2 and tokens[index - 2] in _LIKENED


def _flipped_way(tokens: Sequence[str]) -> int:
    """+1 for "flip on the lamp" or "flip the lamp on", -1 for off, else 0 (not the "on" of
    "flip the switch on the library lights", nor "flip it on or off")."""
    if {"on", "off"} <= set(tokens):
        return 0
    for said in (tokens[1:2], tokens[-1:]):
        if said in (["on"], ["off"]):
            return 1 if said == ["on"] else -1
    return 0


def _felt_dark(tokens: Sequence[str]) -> int:
    """+1 when the words say only that it is too dark ("pitch black", "too dim to read"),
    -1 only too bright ("the hallway's glaring"), else 0."""
    dark = any(said_in(tokens, ("pitch", w)) for w in ("dark", "black")) or any(
        tokens[i] in _DARK_WORDS for i in _complaints(tokens)
    )
    bright = bool(_GLARING & set(tokens))
    return int(dark) - int(bright)


_DARK_WORDS = frozenset({"dark", "dim", "gloomy", "murky", "dingy"})
_GLARING = _GLARE | {"glaring", "dazzling", "blinding"}


def _felt(tokens: Sequence[str]) -> int:
    """+1 when the words say only that the speaker is cold (wants it warmer), -1 only too
    hot, else 0: "my feet are like ice", "I'm melting up here"."""
    said = set(tokens)
    cold, hot = bool(said & _FEEL_COLD), bool(said & _FEEL_HOT)
    return int(cold) - int(hot)


_DEGREE = frozenset({"bit", "so", "very", "quite", "really", "rather", "pretty", "way", "is",
                     "it's", "its", "are", "getting", "little", "kinda", "super"})  # fmt: skip


def _volume_step(
    tokens: Sequence[str], name: str, meaning: Meaning
) -> tuple[str, Meaning, dict[str, SlotValue]]:
    """The volume step a sentence asks for, if it says one: "lower the volume by 50 %", and
    "turn the speaker up twenty percent" (a step of twenty, not to twenty)."""
    if name == "set_volume" and (step := _up_by(tokens)) is not None:
        name = "louder" if step > 0 else "quieter"
        return name, MEANINGS[name], {"volume_step": step}
    if name in {"louder", "quieter"} and (step := _up_by(tokens) or _more_or_less(tokens)):
        return name, meaning, {"volume_step": step}  # "take the volume down 25 percent"
    if name in {"louder", "quieter"} and (amount := _by_amount(tokens)) is not None:
        return name, meaning, {"volume_step": amount * meaning.direction}
    if name in {"set_temperature", "warmer", "cooler"} and (degrees := _degrees_by(tokens)):
        name = "warmer" if degrees > 0 else "cooler"  # "knock the heat down two degrees"
        return name, MEANINGS[name], {"temperature_step": degrees}
    if name in {"set_brightness", "brighter", "dimmer"} and (step := _percent_by(tokens, name)):
        name = "brighter" if step > 0 else "dimmer"  # "turn the light up by twenty percent"
        return name, MEANINGS[name], {"brightness_step": step}
    return name, meaning, {}


def _percent_by(tokens: Sequence[str], name: str) -> int | None:
    """+N or -N for "up by N percent", "lower the brightness by N percent": a step."""
    if (step := _up_by(tokens) or _more_or_less(tokens)) is not None:
        return step
    if "to" in tokens or (amount := _by_amount(tokens)) is None:
        return None
    way = MEANINGS[name].direction or _verb_way(tokens)
    return amount * way if way else None


def _more_or_less(tokens: Sequence[str]) -> int | None:
    """+N or -N for "ten percent dimmer", "25 % brighter", "twenty percent quieter"."""
    for index in range(len(tokens) - 2):
        found = read_numbers(tokens, index)
        if found and tokens[max(found)[0] : max(found)[0] + 1] in (["percent"], ["%"]):
            end, value = max(found)
            way = _MORE_LESS.get(tokens[end + 1]) if end + 1 < len(tokens) else None
            if way and 0 < value <= 100:
                return int(value) * way
    return None


_MORE_LESS = {"brighter": 1, "dimmer": -1, "louder": 1, "quieter": -1, "softer": -1}


def _verb_way(tokens: Sequence[str]) -> int:
    """+1 or -1 for a sentence's verb of more or less ("lower the brightness by ...")."""
    said = set(tokens)
    up = bool(said & {"raise", "increase", "up", "brighten", "brighter", "warmer", "louder",
                      "bump", "boost"})  # fmt: skip
    down = bool(said & {"lower", "decrease", "reduce", "down", "dim", "dimmer", "cooler",
                        "drop", "cut"})  # fmt: skip
    return int(up) - int(down)


def _degrees_by(tokens: Sequence[str]) -> int | None:
    """+N or -N for "up N degrees" / "down by N degrees" / "lower it by one degree" said
    without "to"."""
    if "to" in tokens:
        return None
    amount = _by_amount(tokens)
    # "lower it by one degree", and of a temperature "drop the thermostat by two"
    unit = bool({"degree", "degrees"} & set(tokens)) or not _PERCENT_SAID & set(tokens)
    if amount is not None and unit and amount <= MAX_DEGREES:
        return amount * _verb_way(tokens) or None
    for index, token in enumerate(tokens[:-1]):
        by = tokens[index + 1] == "by"
        if token in {"up", "down"} and (found := read_numbers(tokens, index + 1 + by)):
            end, value = max(found)
            if tokens[end : end + 1] in (["degrees"], ["degree"]) and 0 < value <= MAX_DEGREES:
                return int(value) * (1 if token == "up" else -1)
    return None


MAX_DEGREES = 5
_PERCENT_SAID = frozenset({"percent", "%", "per", "cent"})
"""The largest step in degrees read from words ("down two degrees")."""


def _up_by(tokens: Sequence[str]) -> int | None:
    """+N or -N for "up N percent" / "down by N percent" said without "to"."""
    if "to" in tokens:
        return None
    for index, token in enumerate(tokens[:-1]):
        by = tokens[index + 1] == "by"
        if token in {"up", "down"} and (found := read_numbers(tokens, index + 1 + by)):
            end, value = max(found)
            if (by or tokens[end : end + 1] in (["percent"], ["%"])) and 0 < value <= 100:
                return int(value) * (1 if token == "up" else -1)
    return None


def _by_amount(tokens: Sequence[str]) -> int | None:
    """The N of "by N (percent)", when the sentence says one such amount."""
    amounts = [
        int(max(found)[1])
        for index, token in enumerate(tokens[:-1])
        if token == "by" and (found := read_numbers(tokens, index + 1))
    ]
    return amounts[0] if len(amounts) == 1 and 0 < amounts[0] <= 100 else None


_COUNTED = [[w] for w in ("second", "seconds", "minute", "minutes", "hour", "hours", "bulbs",
                         "days", "weeks", "months", "years", "times", "people", "quid",
                         "dollars", "pounds", "euros", "bucks")]  # fmt: skip
"""Words after a number that make it a count or a duration, never a level."""
_NAME_NUMBERS = frozenset({"one", "two", "three", "four", "five", "first", "second", "third"})
"""Number words a device's name may hold ("Bedroom one vacuum")."""
_STOP_BEFORE_VALUE = frozenset({"to", "at", "by", "of", "the", "a", "percent", "and"})
"""Words before a number that make it a value, never part of a name."""
_PERCENT_KINDS = frozenset({"brightness", "volume_level", "position", "percentage"})
_PERCENT_WORDS: dict[str, float] = {
    "max": 100, "maximum": 100, "full": 100, "all the way": 100, "half": 50, "halfway": 50,
    "full blast": 100, "as bright as it goes": 100, "as loud as it goes": 100,
    "as high as it goes": 100,
    "as low as it goes": 1, "lowest": 1, "minimum": 1,
}  # fmt: skip
"""Words that give a percentage without a number ("max volume", "half brightness")."""
_FAN_SPEEDS: dict[str, float] = {"low": 33, "medium": 66, "high": 100}
"""A fan's three speeds as Home Assistant's fans take them in percent ("fan on low")."""


_LIGHT_WORDS = frozenset({"light", "lights", "lamp", "lamps", "brightness"})
_RELATIVE_LEVEL = frozenset({"by", "as", "than"})
"""Words that make a level relative to the light's own: "by half", "half as bright"."""
_LEVEL_MISREAD = frozenset(
    {"set_brightness", "brighter", "dimmer", "on", "other", "state", "set_color"}
)
"""Readings of a sentence that gives a light a level, which the level makes brightness."""


_WANTING = frozenset({"need", "needs", "want", "wants"})
_ASKING_FOR = _WANTING | {"please", "can", "could", "keep", "wanna", "ensure", "sure", "certain",
                          "confirm", "like", "should", "must", "let", "pull", "push"}  # fmt: skip
"""Words that ask for a state or wish it ("ensure the fan is off", "i want that ...")."""


def _unwanted(tokens: Sequence[str]) -> int:
    """-1 when the words say an on-state is not wanted ("doesn't need to be on", "don't
    want the fan running"), +1 for an off-state, else 0."""
    for index, token in enumerate(tokens):
        if token in _NEGATIONS and _WANTING & set(tokens[index + 1 : index + 3]):
            rest = set(tokens[index + 2 :])
            up = bool(rest & ({"on", "running", "open", "going"} | _UP_WORDS))
            down = bool(rest & {"off", "closed", "shut"})
            return (-1 if up else 0) + (1 if down else 0)
    return 0


def _full(tokens: Sequence[str], *, least: bool = False) -> bool:
    """Whether the words ask for the most there is ("all the way up", "full brightness"), or
    with ``least`` the least ("as low as it goes")."""
    return not _numbered(tokens) and any(
        said_in(tokens, tuple(w.split()))
        for w, v in _PERCENT_WORDS.items()
        if v == (1 if least else 100)
    )


def _value(kind: str, tokens: Sequence[str]) -> SlotValue | None:
    """The one number (or colour) the sentence gives for ``kind``; None if none or several."""
    if kind == "color":
        joined = f" {' '.join(tokens)} "
        colours = [c for c in COLOR_NAMES if f" {c} " in joined]
        colours = [c for c in colours if not any(c != o and c in o for o in colours)]
        return colours[0] if len(colours) == 1 else None
    values: list[float] = []
    index = 0
    while index < len(tokens):
        numbers = read_numbers(tokens, index)
        if numbers and tokens[max(numbers)[0] : max(numbers)[0] + 1] in _COUNTED:
            index = max(numbers)[0]  # "over ten minutes", "three bulbs": no level
            continue
        if numbers:
            end, value = max(numbers)
            if (
                tokens[end : end + 1] in (["to"], ["too"])
                and tokens[end + 1 : end + 2]
                and (tokens[end + 1] in _UNITS_OF_VALUE)
            ):
                return None  # "20 to degrees": speech-to-text's "twenty two degrees"
            values.append(value)
            index = end
        else:
            index += 1
    if kind in _PERCENT_KINDS and (share := _quarters(tokens)) is not None:
        return share  # "three quarters brightness": 75, not 3
    if not values and kind in _PERCENT_KINDS:
        said = [v for w, v in _PERCENT_WORDS.items() if said_in(tokens, tuple(w.split()))]
        values = said[:1] if len(set(said)) == 1 else []
    if not values and kind == "percentage":
        values = [  # not "the fan is too high"
            _FAN_SPEEDS[t]
            for i, t in enumerate(tokens)
            if t in _FAN_SPEEDS and not (i and tokens[i - 1] in _DEGREE | {"too"})
        ]
    if len(values) != 1:
        return None
    number = values[0]
    if "minus" in tokens:
        number = -number
    if kind in _PERCENT_KINDS and not (0 <= number <= 100):
        return None
    return int(number) if float(number).is_integer() else number


_UNITS_OF_VALUE = frozenset({"degrees", "degree", "percent", "per", "%", "celsius", "fahrenheit"})


def _quarters(tokens: Sequence[str]) -> int | None:
    """The percent "a quarter" (25), "three quarters" (75), "a third" (33) or "two thirds"
    (67) says, if one of them."""
    for index, token in enumerate(tokens):
        if token in {"quarter", "quarters", "third", "thirds"}:
            before = tokens[index - 1] if index else ""
            count = {"a": 1, "one": 1, "1": 1, "two": 2, "2": 2, "three": 3, "3": 3}.get(before)
            if count is None or (token.startswith("third") and count > 2):
                return None
            return round((25 if token.startswith("quarter") else 100 / 3) * count)
    return None


def _on_the_base(tokens: Sequence[str], index: int) -> bool:
    """ "on its base" says docked, not on."""
    return tokens[index] == "on" and bool(
        {"base", "dock", "charger"} & set(tokens[index : index + 3])
    )


_SHUT_UP = frozenset({"locked", "lock", "shut", "sealed", "closed", "boarded", "bolted"})


def _after_name(tokens: Sequence[str], found: Mentions) -> int | None:
    """Where the word right after the best-named device's name is, if there is one."""
    if not found.entities:
        return None
    after = max(found.entities[0].positions) + 1
    return after if after < len(tokens) else None


_KIND_DOMAINS = {"vacuum": Domain.VACUUM, "fan": Domain.FAN}
"""Kinds of device that are always of one domain (a "light" may be a switch)."""
_LIT_UP = frozenset({"lit", "lighted", "powered", "fired"})
_OUTDOORS = frozenset({"outside", "outdoors", "out"})
_DONE_STATE = {"lock": "locked", "unlock": "unlocked", "close": "closed", "shut": "closed",
               "open": "open"}  # fmt: skip
"""What "did i lock the door" asks about."""


def _state_fits(
    tokens: Sequence[str], meaning: Meaning, entities: tuple[Entity, ...]
) -> tuple[Entity, ...]:
    """Of devices named about equally, the one whose kind has the state asked about ("is
    the tool shed locked" where the tool shed has a lock and a vacuum), if only one has."""
    said = {STATE_WORDS[t] for t in tokens if t in STATE_WORDS}
    if meaning.intent != "HassGetState" or not said:
        return entities
    fitting = tuple(
        e for e in entities if said & _DOMAIN_STATES.get(e.domain, frozenset({"on", "off"}))
    )
    return fitting if len(fitting) == 1 else entities


def _asked_state(
    tokens: Sequence[str], used: frozenset[int], entities: Sequence[Entity]
) -> str | None:
    """The state a yes/no question asks about ("is the door bolted": locked), if one."""
    # the question may come after the device ("the porch light, is it on") or a lead-in
    # ("quick question, is the side garage door up"), or as a tag ("... on, isn't it")
    if not _STATE_ASKING & set(tokens) and not _tag_question(tokens):
        return None
    # "been shut off": the "off" says it, not the "shut"
    used = used | {i for i, t in enumerate(tokens[:-1]) if t == "shut" and tokens[i + 1] == "off"}
    said = {
        STATE_WORDS[t]
        for i, t in enumerate(tokens)
        if i not in used
        and t in STATE_WORDS
        and not _on_the_base(tokens, i)
        and not (t == "up" and i and tokens[i - 1] in _SHUT_UP | _LIT_UP)  # "locked up", "lit up"
    }
    if {"base", "dock", "charger"} & set(tokens):
        said.add("docked")
    if said_in(tokens, ("taking", "a", "break")):
        said.add("off")  # "is the fan taking a break"
    if next((t for t in tokens if t in _STATE_ASKING), None) in {"did", "have", "has"}:
        said |= {_DONE_STATE[t] for i, t in enumerate(tokens) if i not in used and t in _DONE_STATE}
    if len(said) != 1:
        return None
    state = said.pop()
    domains = {e.domain for e in entities}
    if domains == {Domain.LOCK}:
        state = _LOCK_STATE_OF.get(state, state)
    elif domains == {Domain.VACUUM}:
        state = _VACUUM_STATE_OF.get(state, state)
    allowed = set().union(*(_DOMAIN_STATES.get(d, frozenset({"on", "off"})) for d in domains))
    return state if state in allowed else None
