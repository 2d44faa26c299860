"""What a sentence mentions: devices, areas, domains, numbers, colours, durations.

The lexicon is compiled once from the registry. ``mentions`` finds exact phrases (longest
first, device names before areas before domain words); ``fuzzy_mentions`` repairs ASR slips
by matching the words nothing explained against the registry's names with an edit-distance
ratio (rapidfuzz).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from edge_os.devices.entity import Domain
from edge_os.devices.registry import DeviceRegistry
from edge_os.errors import MissingDependencyError
from edge_os.intent.normalize import is_number, normalize_phrase

VERBS = frozenset({"lock", "light", "switch"})
"""Domain words that are verbs at the start of a sentence."""
HERE = "@here"
"""Area value of "here" / "in this room": the satellite's own area."""

DOMAIN_WORDS: dict[str, Domain] = {
    "light": Domain.LIGHT, "lights": Domain.LIGHT, "lamp": Domain.LIGHT,
    "lamps": Domain.LIGHT, "lighting": Domain.LIGHT,
    "switch": Domain.SWITCH, "switches": Domain.SWITCH, "plug": Domain.SWITCH,
    "plugs": Domain.SWITCH, "fans": Domain.FAN, "fan": Domain.FAN,
    "blind": Domain.COVER, "blinds": Domain.COVER, "shade": Domain.COVER,
    "shades": Domain.COVER, "curtain": Domain.COVER, "curtains": Domain.COVER,
    "cover": Domain.COVER, "covers": Domain.COVER, "shutters": Domain.COVER,
    "shutter": Domain.COVER, "awning": Domain.COVER, "awnings": Domain.COVER,
    "gate": Domain.COVER, "gates": Domain.COVER, "doors": Domain.COVER,
    "garage doors": Domain.COVER, "window": Domain.COVER, "windows": Domain.COVER,
    "thermostat": Domain.CLIMATE, "heating": Domain.CLIMATE, "ac": Domain.CLIMATE,
    "air conditioning": Domain.CLIMATE, "lock": Domain.LOCK, "locks": Domain.LOCK,
    "speaker": Domain.MEDIA_PLAYER, "speakers": Domain.MEDIA_PLAYER,
    "music": Domain.MEDIA_PLAYER, "tv": Domain.MEDIA_PLAYER, "media": Domain.MEDIA_PLAYER,
    "media player": Domain.MEDIA_PLAYER, "media players": Domain.MEDIA_PLAYER,
    "show": Domain.MEDIA_PLAYER, "shows": Domain.MEDIA_PLAYER, "tv show": Domain.MEDIA_PLAYER,
    "tv shows": Domain.MEDIA_PLAYER, "movie": Domain.MEDIA_PLAYER,
}  # fmt: skip
COLORS: dict[str, str] = {
    "red": "#ff0000", "orange": "#ffa500", "yellow": "#ffff00", "green": "#00ff00",
    "blue": "#0000ff", "purple": "#800080", "pink": "#ffc0cb", "white": "#ffffff",
    "cyan": "#00ffff", "magenta": "#ff00ff", "violet": "#ee82ee", "turquoise": "#40e0d0",
}  # fmt: skip
COLOR_TEMPS: dict[str, int] = {
    "warm white": 2700, "warm": 2700, "soft white": 3000, "neutral white": 4000,
    "neutral": 4000, "cool white": 5000, "cool": 5000, "cold white": 6000, "cold": 6000,
    "daylight": 6500,
}  # fmt: skip
"""Colour-temperature words in Kelvin."""
DURATION_UNITS = {
    "hour": 3600, "hours": 3600, "hr": 3600, "hrs": 3600,
    "minute": 60, "minutes": 60, "min": 60, "mins": 60,
    "second": 1, "seconds": 1, "sec": 1, "secs": 1,
}  # fmt: skip
PLACEHOLDERS = {
    "name": "{name}", "area": "{area}", "domain": "{domain}", "number": "{n}",
    "percent": "{pct}", "degrees": "{deg}", "color": "{color}", "ctemp": "{ctemp}",
    "duration": "{dur}",
}  # fmt: skip
_PRIORITY = {"name": 0, "area": 1, "domain": 2, "color": 3, "ctemp": 4}
FUZZY_NAME_CUTOFF = 84.0
"""rapidfuzz ratio (0-100) a misheard span needs to count as a device or area name."""
FUZZY_WORD_CUTOFF = 75.0
MAX_FUZZY_TOKENS = 16
"""Sentences longer than this (after fillers) are not repaired."""
"""Ratio a misheard command word needs to be read as the word it resembles."""


@dataclass(frozen=True)
class Mention:
    """A span of tokens standing for one thing (a device, an area, a number, ...)."""

    kind: str
    start: int
    end: int
    value: object
    """Entity ids (tuple), area id, Domain, number, colour name, Kelvin, or seconds."""
    score: float = 1.0
    """1 for an exact match, the fuzzy ratio (0-1) for a repaired slip."""

    @property
    def placeholder(self) -> str:
        """How the mention appears in a sentence skeleton (``{name}``)."""
        return PLACEHOLDERS[self.kind]


class Lexicon:
    """Registry phrases compiled for matching (names, aliases, areas) plus fixed words."""

    def __init__(self, registry: DeviceRegistry, vocabulary: Iterable[str] = ()) -> None:
        self.phrases: dict[str, list[tuple[str, object]]] = {}
        names: dict[str, list[str]] = {}
        for entity in registry:
            for name in (entity.name, *entity.aliases):
                phrase = normalize_phrase(name)
                if phrase and entity.id not in names.setdefault(phrase, []):
                    names[phrase].append(entity.id)
        for phrase, ids in names.items():
            self._add(phrase, "name", tuple(ids))
        for area in registry.areas:
            for name in (area.name, *area.aliases, area.id.replace("_", " ")):
                self._add(normalize_phrase(name), "area", area.id)
        self._add("here", "area", HERE)
        for word, domain in DOMAIN_WORDS.items():
            self._add(word, "domain", domain)
        for word in COLORS:
            self._add(word, "color", word)
        for word, kelvin in COLOR_TEMPS.items():
            self._add(word, "ctemp", kelvin)
        for entries in self.phrases.values():
            entries.sort(key=lambda entry: _PRIORITY[entry[0]])
        self.max_len = max((len(phrase.split()) for phrase in self.phrases), default=1)
        self.fuzzy_choices = [p for p, e in self.phrases.items() if e[0][0] in {"name", "area"}]
        self.vocabulary = frozenset(vocabulary) | set(DURATION_UNITS) | {
            "percent", "degrees", "degree", "celsius", "kelvin", "k", "and",
        }  # fmt: skip
        self.words = sorted(w for w in self.vocabulary if len(w) > 2)

    def _add(self, phrase: str, kind: str, value: object) -> None:
        if phrase:
            entries = self.phrases.setdefault(phrase, [])
            if all(entry[0] != kind for entry in entries):
                entries.append((kind, value))

    def mentions(self, tokens: list[str]) -> list[Mention]:
        """Exact mentions, left to right, longest phrase first."""
        found: list[Mention] = []
        index = 0
        while index < len(tokens):
            if index == 0 and tokens[0] in VERBS:
                index += 1  # "lock the door": a verb here, not the domain word
                continue
            mention = self._number_at(tokens, index) or self._phrase_at(tokens, index)
            if mention is None:
                index += 1
                continue
            found.append(mention)
            index = mention.end
        return found

    def _phrase_at(self, tokens: list[str], start: int) -> Mention | None:
        for length in range(min(self.max_len, len(tokens) - start), 0, -1):
            entries = self.phrases.get(" ".join(tokens[start : start + length]))
            if entries:
                kind, value = entries[0]
                return Mention(kind, start, start + length, value)
        return None

    def _number_at(self, tokens: list[str], start: int) -> Mention | None:
        if not is_number(tokens[start]):
            return None
        value = float(tokens[start])
        unit = tokens[start + 1] if start + 1 < len(tokens) else ""
        if unit in DURATION_UNITS:
            return _duration_at(tokens, start)
        if unit == "percent":
            return Mention("percent", start, start + 2, value)
        if unit in {"degrees", "degree", "celsius"}:
            end = start + 2
            if unit != "celsius" and end < len(tokens) and tokens[end] == "celsius":
                end += 1
            return Mention("degrees", start, end, value)
        if unit in {"kelvin", "k"}:
            return Mention("ctemp", start, start + 2, int(value))
        return Mention("number", start, start + 1, value)

    def fuzzy_mentions(self, tokens: list[str], exact: list[Mention]) -> list[Mention] | None:
        """Mentions with misheard names repaired; None when nothing could be repaired."""
        try:
            from rapidfuzz import fuzz, process
        except ImportError as err:  # pragma: no cover - the intent extra installs it
            raise MissingDependencyError("rapidfuzz", "intent") from err
        covered = {i for m in exact for i in range(m.start, m.end)}
        unknown = [i for i, t in enumerate(tokens) if i not in covered and t not in self.vocabulary]
        if not unknown:
            return None
        movable = {
            i for m in exact if m.kind in {"name", "area", "domain"} for i in range(m.start, m.end)
        }
        best: tuple[float, int, int, str] | None = None
        if len(tokens) > MAX_FUZZY_TOKENS:
            return None  # a long ramble is not a command; keep the worst case bounded
        tried: set[tuple[int, int]] = set()
        for first in unknown:
            low = first
            while low - 1 in movable or low - 1 in unknown:
                low -= 1
            high = first + 1
            while high in movable or high in unknown:
                high += 1
            for start in range(max(low, first - self.max_len), first + 1):
                for end in range(first + 1, min(high, start + self.max_len + 1) + 1):
                    if (start, end) in tried:
                        continue
                    tried.add((start, end))
                    span = " ".join(tokens[start:end])
                    hit = process.extractOne(
                        span, self.fuzzy_choices, scorer=fuzz.ratio, score_cutoff=FUZZY_NAME_CUTOFF
                    )
                    if hit is not None and (
                        best is None or (hit[1], end - start) > (best[0], best[2] - best[1])
                    ):
                        best = (hit[1], start, end, hit[0])
        repaired = list(tokens)
        mentions = list(exact)
        if best is not None:
            score, start, end, phrase = best
            kind, value = self.phrases[phrase][0]
            mentions = [m for m in mentions if m.end <= start or m.start >= end]
            mentions.append(Mention(kind, start, end, value, score / 100))
            covered = {i for m in mentions for i in range(m.start, m.end)}
        changed = best is not None
        for index in unknown:
            if index in covered or len(tokens[index]) < 3:
                continue
            hit = process.extractOne(
                tokens[index], self.words, scorer=fuzz.ratio, score_cutoff=FUZZY_WORD_CUTOFF
            )
            if hit is not None:
                repaired[index] = hit[0]
                changed = True
        if not changed:
            return None
        tokens[:] = repaired
        return sorted(mentions, key=lambda m: m.start)


def _duration_at(tokens: list[str], start: int) -> Mention:
    """``N unit [and] N unit ...`` as one duration in seconds."""
    seconds = 0.0
    index = start
    while index + 1 < len(tokens) and is_number(tokens[index]):
        unit = DURATION_UNITS.get(tokens[index + 1])
        if unit is None:
            break
        seconds += float(tokens[index]) * unit
        index += 2
        if index + 1 < len(tokens) and tokens[index] == "and" and is_number(tokens[index + 1]):
            index += 1
    if index > start and tokens[index - 1] == "and":
        index -= 1
    return Mention("duration", start, index, round(seconds))


AREA_PREPOSITIONS = frozenset(
    {"in", "at", "across", "around", "throughout", "on", "of", "inside", "within", "for"}
)
"""Words that put a device in an area ("the lights across the lounge"): all read as "in"."""
_VERB_PARTICLE = frozenset({"turn", "switch", "power", "put", "is", "are", "set", "what", "it"})


def skeleton(tokens: list[str], mentions: list[Mention]) -> str:
    """The sentence with each mention replaced by its placeholder: ``turn on {name}``."""
    parts: list[str] = []
    index = 0
    for mention in mentions:
        parts.extend(tokens[index : mention.start])
        if (
            mention.kind == "area"
            and len(parts) >= 2
            and parts[-1] in AREA_PREPOSITIONS
            and parts[-2] not in _VERB_PARTICLE
        ):
            parts[-1] = "in"
        parts.append(mention.placeholder)
        index = mention.end
    parts.extend(tokens[index:])
    return " ".join(parts)
