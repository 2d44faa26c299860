"""Which of this home's devices, areas and floors a free-form sentence mentions.

The learned reader (:mod:`edge_os.intent.reader`) reads *what to do* from a sentence's
meaning and *to what* from here: every registry name and alias is looked for in the words,
as people actually say them ("the porch lights" for "Porch light", "the jukebox in the
dining area" for "Dining area jukebox", "coffee" for "Coffee Machine"). Words are weighted
by how rare they are among the home's names, so "porch" decides and "light" only helps;
a name in its other number, a common synonym ("lamp" for "light") and a near spelling
("thermostadt") count for part of a word.

Pure functions of the words and the registry: no model, no state.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from edge_os.devices.entity import Domain, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.compiled import words

NOUN_GROUPS: dict[str, frozenset[str]] = {
    "light": frozenset({"light", "lights", "lamp", "lamps", "lighting", "bulb", "bulbs",
                        "lightbulb", "lantern", "lanterns"}),
    "fan": frozenset({"fan", "fans", "ventilator"}),
    "cover": frozenset({"blind", "blinds", "shade", "shades", "curtain", "curtains",
                        "shutter", "shutters", "awning", "window", "windows"}),
    "garage": frozenset({"garage", "gate", "garage door"}),
    "lock": frozenset({"lock", "locks", "deadbolt", "door", "doors"}),
    "climate": frozenset({"thermostat", "heating", "heater", "heat", "temperature", "ac",
                          "radiator", "hvac", "furnace"}),
    "media": frozenset({"speaker", "speakers", "stereo", "music", "audio", "radio", "jukebox",
                        "player", "soundbar", "volume", "media"}),
    "tv": frozenset({"tv", "tvs", "television", "telly"}),
    "vacuum": frozenset({"vacuum", "robot", "roomba", "hoover", "cleaner"}),
    "switch": frozenset({"switch", "plug", "socket", "outlet", "machine", "maker"}),
}  # fmt: skip
"""Words that name a kind of device; a name's word counts as said when a word of its group is."""
GROUP_DOMAINS: dict[str, frozenset[Domain]] = {
    "light": frozenset({Domain.LIGHT}),
    "fan": frozenset({Domain.FAN}),
    "cover": frozenset({Domain.COVER}),
    "garage": frozenset({Domain.COVER}),
    "lock": frozenset({Domain.LOCK}),
    "climate": frozenset({Domain.CLIMATE}),
    "media": frozenset({Domain.MEDIA_PLAYER}),
    "tv": frozenset({Domain.MEDIA_PLAYER}),
    "vacuum": frozenset({Domain.VACUUM}),
    "switch": frozenset({Domain.SWITCH}),
    "everything": frozenset({Domain.LIGHT, Domain.SWITCH, Domain.FAN, Domain.MEDIA_PLAYER}),
}
WHOLE_HOME = frozenset(
    {"house", "home", "everywhere", "everything", "whole", "all", "every", "entire"}
)
"""Words that widen a kind of device to the whole home ("the house lights"). "Everything"
alone means lights, switches, fans and media players: never a lock, door or thermostat."""
_ARRIVING = frozenset({"i'm", "im", "we're", "am", "are", "is", "get", "got", "gets", "come",
                       "came", "coming", "arrive", "arrived", "back", "at", "left", "leave",
                       "leaving", "go", "going", "head", "heading", "headed", "way"})  # fmt: skip
"""Words before "home" that make it where someone is or goes, not the whole home."""
_GROUP_OF: dict[str, str] = {w: g for g, ws in NOUN_GROUPS.items() for w in ws}
_STOP = frozenset({"the", "a", "an", "my", "our", "your", "of", "in", "on", "at", "to", "and"})
_DRINKS = {"espresso": "coffee", "latte": "coffee", "cappuccino": "coffee", "americano": "coffee",
           "espressos": "coffee", "lattes": "coffee", "cappuccinos": "coffee",
           "caffeine": "coffee"}  # fmt: skip
"""Drinks the coffee machine makes: said, they name it."""
_FLOORS = frozenset({"floor", "floors"})
_CLEANING = frozenset({"clean", "vacuum", "hoover", "mop", "sweep", "tidy", "cleaning",
                       "vacuuming", "hoovering"})  # fmt: skip
"""Verbs whose object "the floor" is what is cleaned, not a device called Floor ..."""
SYNONYM_CREDIT = 0.8
"""Part of a word's weight a same-kind word earns ("lamp" said for "light")."""
OWN_NAME_KINDS = frozenset({"radio", "jukebox", "soundbar", "window", "windows", "gate", "gates"})
"""Kind words that name only the devices called so: a speaker is no radio, blinds no window."""
FUZZY_CREDIT = 0.85
"""Part of a word's weight a near spelling earns (rapidfuzz ratio at least ``FUZZY_RATIO``)."""
FUZZY_RATIO = 85.0
MIN_SCORE = 0.6
"""Weighted share of a name that must be said for the device to count as mentioned."""
OWN_WORD_SCORE = 0.7
"""Score of a device named only by a word no other device, area or floor has ("coffee")."""
CLOSE = 0.12
"""Two devices whose scores are this close are both candidates (the reader asks)."""


def singular(word: str) -> str:
    """A word in its singular ("lights" -> "light", "switches" -> "switch")."""
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


_COMMAND_WORDS = frozenset({
    "make", "turn", "set", "get", "put", "start", "stop", "open", "close", "switch", "lock",
    "unlock", "dim", "raise", "lower", "shut", "kill", "play", "pause", "run", "give", "keep",
    "bring", "need", "want", "please", "could", "would", "should", "light",
})  # fmt: skip
"""Words that ask for something: never taken for a near spelling of a name's word ("make"
is not "maker")."""


def _fuzzy(a: str, b: str) -> bool:
    if len(a) < 4 or len(b) < 4 or a[0] != b[0] or a in _COMMAND_WORDS:
        return False
    if a.endswith("'s") or b.endswith("'s"):
        return False  # "jane's lamp" is another person's, not "Janet's lamp" misheard
    from rapidfuzz import fuzz

    return fuzz.ratio(a, b) >= FUZZY_RATIO


@dataclass(frozen=True)
class Mention:
    """One registry thing said in the sentence."""

    kind: str
    """``entity``, ``area`` or ``floor``."""
    id: str
    score: float
    """Weighted share of its name that was said (1.0: all of it, word for word)."""
    positions: frozenset[int]
    """Indices of the sentence's words that said it."""
    contiguous: bool
    """Whether those words stand together, in the name's order."""
    exact: int = 0
    """How many of the name's words were said exactly (or in their other number)."""


@dataclass
class Mentions:
    """Everything a sentence mentions, best first within each kind."""

    tokens: list[str]
    entities: list[Mention] = field(default_factory=list)
    areas: list[Mention] = field(default_factory=list)
    floors: list[Mention] = field(default_factory=list)
    groups: dict[str, int] = field(default_factory=dict)
    """Device kinds named by a plain word ("lights": ``light``), with the word's index."""
    kinds: dict[int, str] = field(default_factory=dict)
    """Every word that names a kind of device (not as a verb), by position."""
    whole_home: bool = False


class MentionFinder:
    """Finds the registry's names in sentences (built once per registry)."""

    def __init__(self, registry: DeviceRegistry) -> None:
        self.registry = registry
        self._entity_names: list[tuple[Entity, list[str]]] = []
        for entity in registry:
            for spoken in (entity.name, *entity.aliases):
                self._entity_names.append((entity, _content(words(spoken))))
        self._places: list[tuple[str, str, list[str]]] = []
        for area in registry.areas:
            for spoken in (area.name, *area.aliases):
                self._places.append(("area", area.id, _content(words(spoken))))
        for floor in registry.floors:
            for spoken in (floor.name, *floor.aliases):
                self._places.append(("floor", floor.id, _content(words(spoken))))
        counts: Counter[str] = Counter()
        names = [n for _, n in self._entity_names] + [n for *_, n in self._places]
        for name in names:
            counts.update({singular(w) for w in name})
        total = max(1, len(names))
        self._weight = {w: math.log(1 + total / c) for w, c in counts.items()}
        bare = frozenset(_bare(w) for w in self._weight)  # once, not per device
        by_id = [
            (entity, name) for entity in registry if (name := _id_name(entity, self._weight, bare))
        ]
        for word, count in Counter(singular(w) for _, n in by_id for w in set(n)).items():
            self._weight.setdefault(word, math.log(1 + total / count))
        self._entity_names.extend(by_id)
        """A device whose entity id holds a word no name of the home has, a maker's
        ("switch.wemo_laundry_room" of "Laundry room lights"), is named by its id's words
        too: people who set a device up call it by the label its app gave it."""
        owners: dict[str, set[str]] = {}
        for entity, name in self._entity_names:
            for word in name:
                owners.setdefault(singular(word), set()).add(entity.id)
        places = {singular(w) for *_, name in self._places for w in name}
        self._own_words = {
            w
            for w, ids in owners.items()
            if len(ids) == 1
            and w not in places
            and (
                w not in _GROUP_OF
                or w in OWN_NAME_KINDS
                or _other_kind(w, registry[next(iter(ids))])
            )
            and w not in _STOP
            and w not in _COMMAND_WORDS
        }
        """Words of exactly one device's names and of no area or floor ("coffee"), or a kind's
        word in the name of one device of another kind (a switch called "Poolside lanterns"):
        saying one names that device even when the rest of its name is left out."""
        self._owner = {w: next(iter(owners[w])) for w in self._own_words}
        """The device each own word names."""
        self._whose = {w[:-1]: w for w in self._weight if w.endswith("'") and len(w) > 2}
        """A name's owner as said without the 's ("jordan" for "Jordan's lamp")."""
        self._own_kinds: dict[str, frozenset[str]] = {}
        """Per device, the words of its names that name a kind it is not of (see _match)."""
        for entity, name in self._entity_names:
            kinds = frozenset(w for w in name if _other_kind(w, entity))
            self._own_kinds[entity.id] = self._own_kinds.get(entity.id, frozenset()) | kinds
        self._kinds_named: dict[str, set[str]] = {}
        """Per device, the kinds its names say ("Bedside lamp" on a switch: a light)."""
        for entity, name in self._entity_names:
            named = self._kinds_named.setdefault(entity.id, set())
            named.update(_GROUP_OF[w] for w in name if w in _GROUP_OF)
        self._pairs = frozenset(pair for name in names for pair in pairwise(name))
        """Two words said one after the other in a name ("mud room" of "Mud room vacuum")."""
        self._joined_entities = [
            (joined, (e, name)) for e, name in self._entity_names for joined, name in _joined(name)
        ]
        self._joined_places = [
            (joined, (k, i, name)) for k, i, n in self._places for joined, name in _joined(n)
        ]
        """Each name again with two of its words said as one, and that word: "the mudroom
        vacuum" for "Mud room vacuum" (looked for only where that word is said)."""

    def said_in_part(self, mention: Mention, tokens: Sequence[str]) -> list[str]:
        """When ``mention`` was found by part of its name, the other devices whose names
        hold every word it was found by: "the dining light" is Dining room light's as much
        as Dining table light's. None when a name of it was said whole."""
        said = [tokens[i] for i in sorted(mention.positions)]
        names = [name for entity, name in self._entity_names if entity.id == mention.id]
        if not set(said) - _GROUP_OF.keys() or any(
            all(_said_as(w, tokens) for w in name) for name in names
        ):
            return []  # found by kind words alone ("the lanterns"), or said whole
        own = {singular(w) for name in names for w in name}
        exact = [singular(w) for w in said if singular(w) in own]
        domain = self.registry[mention.id].domain
        # "the master light": not the Master Bedroom Lamp (a like word), nor a switch
        return list(dict.fromkeys(
            entity.id for entity, name in self._entity_names
            if entity.id != mention.id and entity.domain is domain
            and all(any(_said_as(n, [w]) for n in name) for w in said)
            and set(exact) <= {singular(n) for n in name}
        ))  # fmt: skip

    def compounds(self, tokens: Sequence[str]) -> list[str]:
        """``tokens`` with two words said for one word of this home's names made one ("the
        bed room lamp" for "Bedroom lamp", "the sound bar"), unless a name says them as two."""
        out: list[str] = []
        for token in tokens:
            if out and _compound_part(out[-1]) and _compound_part(token):
                joined = out[-1] + token
                if self.names_word(joined) and (out[-1], token) not in self._pairs:
                    out[-1] = joined
                    continue
            out.append(token)
        return out

    def names_word(self, word: str) -> bool:
        """Whether a device, area or floor name of this home holds ``word``."""
        return singular(word) in self._weight

    def weight(self, word: str) -> float:
        """How much a name's word tells its device apart (rarer is heavier)."""
        return self._weight.get(singular(word), 1.0)

    def find(self, text_or_tokens: str | Sequence[str]) -> Mentions:
        """The devices, areas, floors and kinds of device ``text`` mentions."""
        tokens = words(text_or_tokens) if isinstance(text_or_tokens, str) else list(text_or_tokens)
        if "coffee" in self._weight:  # "an espresso" is the coffee machine's
            tokens = [_DRINKS.get(t, t) for t in tokens]
            tokens = [  # "a flat white", not a white light
                "coffee" if t == "white" and tokens[i - 1 : i] == ["flat"] else t
                for i, t in enumerate(tokens)
            ]
        tokens = [  # "the lamp next to my bed": the bedside lamp
            "bedside" if t == "bed" and _beside(tokens, i) and self.names_word("bedside") else t
            for i, t in enumerate(tokens)
        ]
        tokens = [  # "the study's a bit gloomy": the study
            t[:-2] if t.endswith("'s") and not self.names_word(t) and self.names_word(t[:-2]) else t
            for t in tokens
        ]
        tokens = [  # "clean the floors" is no Floor lamp's: the floors a vacuum cleans
            "carpets" if t in _FLOORS and _CLEANING & set(tokens[max(0, i - 3) : i]) else t
            for i, t in enumerate(tokens)
        ]
        tokens = [  # "the lamp of janet", "the lamp belonging to jordan": Janet's, Jordan's
            self._whose[t]
            if t in self._whose and tokens[i - 1 : i] in (["of"], ["to"], ["by"])
            and not self.names_word(t) else t
            for i, t in enumerate(tokens)
        ]  # fmt: skip
        found = Mentions(tokens)
        for index, token in enumerate(tokens):
            group = _GROUP_OF.get(token)
            if (
                group == "lock"
                and token in {"door", "doors"}
                and tokens[index - 1 : index] == ["garage"]
            ):
                group = "garage"  # "all the garage doors": covers, not locks
            if group is None or _is_verb(tokens, index):
                continue
            found.groups.pop(group, None)
            found.groups[group] = index  # the last word of a kind is the noun
            found.kinds[index] = group
        found.whole_home = any(
            t in WHOLE_HOME and not (t == "home" and i and tokens[i - 1] in _ARRIVING)
            for i, t in enumerate(tokens)
        )  # not "i'm home! lights on"
        places: dict[tuple[str, str], Mention] = {}
        said = set(tokens)
        joined_places = [place for word, place in self._joined_places if word in said]
        for kind, place_id, name in [*self._places, *joined_places]:
            mention = self._match(kind, place_id, name, tokens, exact_only=True)
            if mention is not None and mention.score >= 0.99:
                key = (kind, place_id)
                if key not in places or places[key].score < mention.score:
                    places[key] = mention
        found.areas = sorted((m for m in places.values() if m.kind == "area"), key=_order)
        found.floors = sorted((m for m in places.values() if m.kind == "floor"), key=_order)
        # "switch on the lamp in the garage" names no "Garage switch"
        verbs = frozenset(
            i for i, t in enumerate(tokens[:-1])
            if t == "switch" and tokens[i + 1] in {"on", "off"}
            and (i == 0 or tokens[i - 1] in {"please", "you", "and", "just", "now"})
        )  # fmt: skip
        found.entities = self._entities(tokens, found, verbs)
        if (
            tokens[:1] in (["lock"], ["unlock"])
            and found.entities
            and found.areas
            and found.entities[0].positions == found.areas[0].positions | {0}
        ):  # "lock the office" is the office's locks, not the one called "Office Lock"
            found.entities = self._entities(tokens, found, verbs | {0})
        if tokens[:1] in (["lock"], ["unlock"]):
            # "unlock the library": its Library door, not the Library vacuum said as much
            locks = [m for m in found.entities if m.id.startswith("lock.")]
            found.entities = [
                m
                for m in found.entities
                if m.id.startswith("lock.") or not any(m.positions <= k.positions for k in locks)
            ]
        return found

    def _entities(self, tokens: list[str], found: Mentions, verbs: frozenset[int]) -> list[Mention]:
        """The devices ``tokens`` name, best first (``found``: its places and kinds)."""
        said = set(tokens)
        said_areas = {m.id for m in found.areas}
        best: dict[str, Mention] = {}
        said_domains = {d for g in found.groups for d in GROUP_DOMAINS[g]}
        owned = {i: owner for i, t in enumerate(tokens) if (owner := self._owner.get(singular(t)))}
        joined = [entity for word, entity in self._joined_entities if word in said]
        for entity, name in [*self._entity_names, *joined]:
            own = self._kinds_named[entity.id]
            if said_domains and entity.domain not in said_domains and not own & found.groups.keys():
                continue  # "the master bedroom lights" is not the master bedroom's speaker
            mention = self._match("entity", entity.id, name, tokens, area_said=(
                entity.area in said_areas and entity.area is not None
            ), area_words=self._area_words(entity),
               own_kinds=self._own_kinds.get(entity.id, frozenset()), owned=owned,
               verbs=verbs)  # fmt: skip
            if mention is None or mention.score < MIN_SCORE:
                continue
            if entity.id in best and (merged := _joined_up(best[entity.id], mention)):
                best[entity.id] = merged  # "the xiaomi bedside lamp": two names, side by side
            elif entity.id not in best or _fuller(mention, best[entity.id]):
                best[entity.id] = mention
        return _filled_first(sorted(best.values(), key=_order), tokens)

    def _area_words(self, entity: Entity) -> frozenset[str]:
        if entity.area is None:
            return frozenset()
        area = self.registry.area(entity.area)
        if area is None:
            return frozenset()
        return frozenset(singular(w) for w in _content(words(area.name)))

    def _match(
        self,
        kind: str,
        thing_id: str,
        name: list[str],
        tokens: Sequence[str],
        *,
        exact_only: bool = False,
        area_said: bool = False,
        area_words: frozenset[str] = frozenset(),
        own_kinds: frozenset[str] = frozenset(),
        owned: Mapping[int, str] | None = None,
        verbs: frozenset[int] = frozenset(),
    ) -> Mention | None:
        """How well ``tokens`` say ``name``. ``own_kinds``: words of the name that name a
        kind the device is not of (a switch called "Poolside lanterns"): said exactly, they
        single it out as its other words do. ``owned``: where a device's own word was said,
        and whose; ``verbs``: where "switch" was said as a verb."""
        if not name:
            return None
        total = sum(self.weight(w) for w in name)
        earned = 0.0
        positions: list[int] = []
        distinct = False
        exact = 0
        said_groups = {_GROUP_OF[t] for t in tokens if t in _GROUP_OF}
        own_groups = {_GROUP_OF[w] for w in name if w in _GROUP_OF}
        # "the lanterns by the pool": not the pool light's "light"
        others = frozenset(i for i, owner in (owned or {}).items() if owner != thing_id)
        if own_groups and said_groups and not own_groups & said_groups:
            return None  # "the kitchen lights" is not the kitchen vacuum
        for word in name:
            credit, where = self._said(word, tokens, positions, exact_only=exact_only,
                                       others=others, verbs=verbs)  # fmt: skip
            if credit == 0.0 and area_said and singular(word) in area_words:
                credit, where = 1.0, None  # the area was said as the place ("in the dining area")
            if credit > 0.0:
                exact += credit == 1.0
                earned += credit * self.weight(word)
                if where is not None:
                    positions.append(where)
                    distinct = distinct or (
                        credit > SYNONYM_CREDIT
                        and (word not in _GROUP_OF or word in own_kinds or word in OWN_NAME_KINDS)
                    )
        if not positions:
            return None
        if not distinct and exact < len(name):
            return None  # only kind words ("the light") do not single out a device
        ordered = sorted(positions)
        contiguous = ordered == positions and ordered[-1] - ordered[0] == len(ordered) - 1
        score = earned / total
        if kind == "entity" and any(tokens[i] in self._own_words or singular(tokens[i])
                                    in self._own_words for i in positions):  # fmt: skip
            score = max(score, OWN_WORD_SCORE)
        return Mention(kind, thing_id, score, frozenset(positions), contiguous, exact)

    @staticmethod
    def _said(
        word: str,
        tokens: Sequence[str],
        taken: Sequence[int],
        *,
        exact_only: bool,
        others: frozenset[int] = frozenset(),
        verbs: frozenset[int] = frozenset(),
    ) -> tuple[float, int | None]:
        """The best credit ``word`` earns from one of ``tokens`` (and where it was said).
        ``others``: where another device's own word was said, which is no synonym here;
        ``verbs``: where "switch" was said as a verb, which names nothing."""
        best, where = 0.0, None
        single = singular(word)
        group = _GROUP_OF.get(word) or _GROUP_OF.get(single)
        for index, token in enumerate(tokens):
            if index in taken or index in verbs:
                continue
            if token == word or singular(token) == single or _bare(token) == _bare(word):
                return 1.0, index  # "bobs lamp", as speech-to-text writes "Bob's lamp"
        if exact_only:
            return best, where
        for index, token in enumerate(tokens):
            taken_kind = index in taken and _GROUP_OF.get(token) == group
            if group is not None and taken_kind and best < SYNONYM_CREDIT / 2:
                best = SYNONYM_CREDIT / 2  # the kind was said, by another word of the name
            if index in taken or index in others or index in verbs:
                continue
            same_kind = group is not None and _GROUP_OF.get(token) == group
            own = token in OWN_NAME_KINDS or single in OWN_NAME_KINDS
            if same_kind and not own and best < SYNONYM_CREDIT:
                best, where = SYNONYM_CREDIT, index  # "lamp" for "light", not "radio" for "player"
            elif best < FUZZY_CREDIT and (_fuzzy(token, word) or _variant(token, word)):
                best, where = FUZZY_CREDIT, index
        return best, where


def _joined_up(one: Mention, other: Mention) -> Mention | None:
    """Two whole names of one device said as one run of words ("xiaomi bedside" and
    "bedside lamp" in "the xiaomi bedside lamp"): that run, else None."""
    if min(one.score, other.score) < 0.99 or not (one.contiguous and other.contiguous):
        return None
    positions = one.positions | other.positions
    if positions in (one.positions, other.positions) or not one.positions & other.positions:
        return None
    if max(positions) - min(positions) != len(positions) - 1:
        return None
    return Mention(one.kind, one.id, max(one.score, other.score), positions, True,
                   max(one.exact, other.exact))  # fmt: skip


def _fuller(mention: Mention, than: Mention) -> bool:
    """A better match of the same device: a higher score, or as high with more words said
    ("kitchen ceiling light" whole, not "Kitchen light" with "ceiling" left over)."""
    if mention.score != than.score:
        return mention.score > than.score
    return mention.contiguous and len(mention.positions) > len(than.positions)


def _other_kind(word: str, entity: Entity) -> bool:
    """``word`` is the last of ``entity``'s name and names a kind of thing it is not ("lanterns"
    for a switch called "Poolside lanterns"). Kinds said with their own verbs stay kinds:
    "open the garage" is not a light called "Garage"."""
    group = _GROUP_OF.get(word)
    if group is None or group in {"garage", "lock", "climate"}:
        return False
    name = _content(words(entity.name))
    return (
        [singular(w) for w in name[-1:]] == [singular(word)]
        and entity.domain not in GROUP_DOMAINS[group]
        and not any(entity.domain in GROUP_DOMAINS[_GROUP_OF[w]] for w in name if w in _GROUP_OF)
    )


_VERB_OBJECTS = frozenset({"on", "off", "up", "the", "it", "my", "our", "that", "them", "this",
                           "those", "these", "everything", "both", "all"})  # fmt: skip
"""What may follow a kind word said as a verb: "switch that off for me"."""


def _is_verb(tokens: Sequence[str], index: int) -> bool:
    """A kind word used as a verb: "switch off the radio", "light up the bar"."""
    nxt = tokens[index + 1] if index + 1 < len(tokens) else ""
    before = tokens[index - 1] if index > 0 else ""
    return (
        tokens[index] in {"switch", "light", "heat", "lock"}
        and before not in _DETERMINERS  # "turn every light on": the light is a noun
        and (index == 0 or nxt in _VERB_OBJECTS or before in {"you", "please"})
    )


_DETERMINERS = frozenset({"the", "a", "every", "each", "all", "this", "that", "my", "our", "your"})


def _said_as(word: str, tokens: Sequence[str]) -> bool:
    """Whether one of ``tokens`` says a name's ``word``: itself, in its other number, or
    another word of its kind ("lights" for "lighting"; not "radio" for "player")."""
    group = _GROUP_OF.get(word) or _GROUP_OF.get(singular(word))
    return any(
        singular(t) == singular(word)
        or _bare(t) == _bare(word)
        or (group is not None and _GROUP_OF.get(singular(t)) == group and t not in OWN_NAME_KINDS
            and word not in OWN_NAME_KINDS)
        for t in tokens
    )  # fmt: skip


def _compound_part(word: str) -> bool:
    return len(word) >= 3 and word.isalpha() and word not in _STOP


def _joined(name: Sequence[str]) -> list[tuple[str, list[str]]]:
    """``name`` with two of its words said as one, each way it can be, and that word
    ("mudroom", ["mudroom", "vacuum"])."""
    return [
        (name[i] + name[i + 1], [*name[:i], name[i] + name[i + 1], *name[i + 2 :]])
        for i in range(len(name) - 1)
        if _compound_part(name[i]) and _compound_part(name[i + 1])
    ]


_PLACE_WORDS = frozenset({"above", "below", "over", "under", "near", "behind", "front", "back",
                          "left", "right", "upper", "lower", "top", "bottom", "middle", "side",
                          "inside", "outside", "main"})  # fmt: skip
"""Words of an id that say where a device is, not who made it."""


def _id_name(entity: Entity, weights: Mapping[str, float], bare: frozenset[str]) -> list[str]:
    """The words of ``entity``'s id when one of them names nothing in the home ("wemo" of
    "switch.wemo_laundry_room", "colins" of "light.colins_lamp", whose name says "Colin's")
    or it holds a number its names lack, else none. ``bare``: the home's name words without
    apostrophes."""
    said = words(re.sub(r"([a-z])(\d)", r"\1 \2", entity.id.split(".", 1)[1].replace("_", " ")))
    own = {w for spoken in (entity.name, *entity.aliases) for w in words(spoken)}
    numbered = any(w.isdigit() and w not in own for w in said)
    maker = [
        w for w in said
        if w.isalpha() and len(w) >= 3 and singular(w) not in weights and w not in bare
        and w not in _GROUP_OF and w not in _STOP and w not in _COMMAND_WORDS
        and w not in _PLACE_WORDS
    ]  # fmt: skip
    return _content(said) if maker or numbered else []


def _content(tokens: list[str]) -> list[str]:
    kept = [t for t in tokens if t not in _STOP]
    return kept or tokens


def _variant(said: str, word: str) -> bool:
    """Whether ``said`` is another common form of a name's ``word``: "hall" for "hallway",
    "main" for "master", "jen's" for "Jennifer's" (both owned, or neither), or both short
    forms of one name ("rob's" for "Bob's", which leaves "Robert's" lamp in doubt)."""
    said_base, word_base = _unowned(said), _unowned(word)
    if (said_base != said) != (word_base != word):
        return False
    meant = VARIANTS.get(said_base, VARIANTS.get(singular(said_base), frozenset()))
    return word_base in meant or bool(meant & VARIANTS.get(word_base, frozenset()))


def _unowned(word: str) -> str:
    """``word`` without a possessive ending ("jen's", "james'" -> "jen", "james")."""
    if word.endswith("'s"):
        return word[:-2]
    return word[:-1] if word.endswith("'") else word


def _variants(pairs: str) -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for entry in pairs.split(";"):
        said, _, meant = entry.partition(":")
        for word in said.split():
            table.setdefault(word, set()).update(meant.split())
    return {w: frozenset(m) for w, m in table.items()}


VARIANTS = _variants(
    "hall: hallway; main: master; outside outdoors: outdoor; loo toilet restroom washroom:"
    " bathroom; roof: rooftop; slider: sliding; telly: tv; jen jenny: jennifer; jon johnny"
    " jonny: john; louie lou: louis; mike mikey: michael; rob robbie bob bobby bert: robert;"
    " bill billy will: william; liz lizzie beth betty: elizabeth; kate katie: katherine"
    " catherine kathryn; dan danny: daniel; tom tommy: thomas; chris: christopher christine"
    " christina; sam sammy: samuel samantha; alex: alexander alexandra; nick: nicholas; pat:"
    " patrick patricia; steve: steven stephen; matt: matthew; dave: david; jim jimmy: james;"
    " sue: susan; ben: benjamin; andy drew: andrew; tony: anthony; pete: peter; greg: gregory;"
    " jules: julia julian; ruthie: ruth; kat kitty: katniss katherine katrina;"
    " 1 first one: one; 2 second two: two; 3 third three: three; 4 fourth four: four;"
    " fred freddie: frederick; ed eddie: edward; charlie: charles charlotte; nat: natalie"
    " nathan; abby: abigail; becky: rebecca; jess: jessica; meg: megan margaret; ange angie:"
    " angela; vicky: victoria; zach: zachary; josh: joshua; nate: nathan; tim: timothy"
)
"""Other common forms of words in device names: short place words and short given names
(the home's "Jennifer's lamp" said as "jen's lamp"). Credited as a near spelling."""


def _bare(word: str) -> str:
    return word.replace("'", "")


def _beside(tokens: Sequence[str], index: int) -> bool:
    """ "by my bed", "next to the bed", "beside the bed"."""
    before = tokens[max(0, index - 2) : index]
    return len(before) == 2 and before[0] in {"by", "to", "beside", "near"} and before[1] in {
        "my", "the", "our", "his", "her",
    }  # fmt: skip


def _filled_first(mentions: list[Mention], tokens: Sequence[str]) -> list[Mention]:
    """``mentions``, with a name said more fully first: one said as wholly as the best and
    with more of the sentence's words ("the garage door in the basement": Basement Garage
    Door, not the Garage door), or, where the best was said in two parts, one that holds a
    said word beside or between them ("the track lights in the bedroom": Bedroom track
    lighting, not the Bedroom Light); never by a verb ("switch the attic light off")."""
    if not mentions:
        return mentions
    top = mentions[0]
    near = {i + step for i in top.positions for step in (-1, 1)} | set(
        range(min(top.positions), max(top.positions) + 1)
    )
    for index, mention in enumerate(mentions[1:], 1):
        extra = mention.positions - top.positions
        if (
            top.positions < mention.positions
            and (mention.score >= top.score or (not top.contiguous and extra <= near))
            and not {tokens[i] for i in extra} & _VERBS
        ):
            return [mention, *mentions[:index], *mentions[index + 1 :]]
    return mentions


_VERBS = frozenset({"switch", "turn", "lock", "open", "close", "set", "start", "stop", "dim",
                    "play", "shut", "put"})  # fmt: skip
"""Words of names that are more often the sentence's verb."""


def _order(mention: Mention) -> tuple[float, bool, int, int]:
    """Best first: the most of a name said; of names said as fully, one said in one piece
    ("switch the attic light off": Attic Light, not Attic light switch)."""
    return (-mention.score, not mention.contiguous, -mention.exact, -len(mention.positions))


def is_tv(entity: Entity) -> bool:
    """Whether a name, alias or device class of ``entity`` calls it a TV."""
    said = words(" ".join((entity.name, *entity.aliases, entity.device_class or "")))
    return bool(NOUN_GROUPS["tv"] & set(said))


def entities_of(
    registry: DeviceRegistry, group: str, area: str | None, *, whole_home: bool = False
) -> list[Entity]:
    """Devices of a kind in ``area`` (or everywhere when ``whole_home``). "Everything" is
    never a device that needs a spoken yes: "turn everything off" does not disarm the alarm."""
    domains = GROUP_DOMAINS.get(group, frozenset())
    found = []
    for entity in registry:
        if entity.domain not in domains or (group == "everything" and entity.is_sensitive):
            continue
        if group == "garage" and entity.device_class not in {"garage", "gate"}:
            continue
        if group == "cover" and entity.device_class in {"garage", "gate", "door"}:
            continue
        if group == "tv" and not is_tv(entity):
            continue  # a speaker is not the TV asked for
        if whole_home or (area is not None and entity.area == area):
            found.append(entity)
    return found
