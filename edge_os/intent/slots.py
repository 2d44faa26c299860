"""Slot lists for the compiled templates: the registry's names, areas and floors, HA's lists.

Home Assistant fills ``{name}``, ``{area}`` and ``{floor}`` from its own registries; here
they come from edge-os's registry. Every entity name and alias is a ``name`` value whose
context carries the entity's domain and device class (so a template that requires
``domain: light`` only sees lights); areas and floors match by name or alias and produce
their ids. The library's own lists (colours, brightness ranges, timer durations, wildcards)
are compiled as they are.

For one sentence, :meth:`SlotLists.spans` answers "which values of list L start at word
i, and where do they end" from a word trie, once per (list, position).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hassil import RangeSlotList, SlotList, TextSlotList, WildcardSlotList
from hassil.sample import sample_expression

from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.compiled import words
from edge_os.intent.numbers import read_numbers

Value = tuple[Any, Mapping[str, Any] | None]
Span = tuple[int, Any, Mapping[str, Any] | None]
_END = ""


class WordTrie:
    """Phrases (as word sequences) to the values they stand for."""

    def __init__(self) -> None:
        self.root: dict[str, Any] = {}

    def add(self, phrase: Sequence[str], value: Value) -> None:
        """Map ``phrase`` to ``value`` (a phrase may carry several values)."""
        if not phrase:
            return
        node = self.root
        for word in phrase:
            node = node.setdefault(word, {})
        values: list[Value] = node.setdefault(_END, [])
        if value not in values:
            values.append(value)

    def spans(self, tokens: Sequence[str], start: int) -> list[Span]:
        """Every phrase that starts at ``start``: (end, value, context)."""
        found: list[Span] = []
        node: dict[str, Any] | None = self.root
        for index in range(start, len(tokens)):
            node = node.get(tokens[index]) if node is not None else None
            if node is None:
                break
            for value, context in node.get(_END, ()):
                found.append((index + 1, value, context))
        return found

    def vocabulary(self) -> set[str]:
        """Every word of every phrase."""
        seen: set[str] = set()
        stack = [self.root]
        while stack:
            node = stack.pop()
            for word, child in node.items():
                if word != _END:
                    seen.add(word)
                    stack.append(child)
        return seen


@dataclass(frozen=True)
class NumberRange:
    """A hassil range list: integers from ``start`` to ``stop`` by ``step``, maybe halves."""

    start: int
    stop: int
    step: int
    fractions: bool
    multiplier: float | None

    def accept(self, value: float) -> float | int | None:
        """The slot value for a spoken number, or None when out of range."""
        if not self.start <= value <= self.stop:
            return None
        whole = float(value).is_integer()
        if not whole and not (self.fractions and (value * 2).is_integer()):
            return None
        if whole and (int(value) - self.start) % self.step:
            return None
        number: float | int = int(value) if whole else value
        if self.multiplier is not None:
            number = number * self.multiplier
            number = int(number) if float(number).is_integer() else number
        return number


def name_variants(phrase: list[str]) -> list[list[str]]:
    """A spoken name and its other number: "counter lights" is also "counter light"."""
    if not phrase:
        return []
    last = phrase[-1]
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        other = last[:-1]
    elif last.isalpha() and not last.endswith("s"):
        other = last + "s"
    else:
        return [phrase]
    return [phrase, [*phrase[:-1], other]]


@functools.lru_cache(maxsize=32)
def _spelled(language: str, number_range: NumberRange) -> WordTrie:
    """The range's whole numbers in words, as hassil spells them (unicode-rbnf)."""
    trie = WordTrie()
    try:
        from hassil.numbers import get_rbnf_engine

        engine = get_rbnf_engine(language)
    except (ImportError, ValueError):
        return trie
    for number in range(number_range.start, number_range.stop + 1, number_range.step):
        for spelled in engine.format_number(number).text_by_ruleset.values():
            for variant in {spelled, spelled.replace("ß", "ss")}:
                trie.add(words(variant), (number, None))
    return trie


class SlotLists:
    """The lists a sentence can fill, with per-sentence span lookups."""

    def __init__(
        self,
        library: Mapping[str, SlotList],
        registry: DeviceRegistry,
        floors: Iterable[tuple[str, str, Sequence[str]]] = (),
        language: str = "en",
    ) -> None:
        self.language = language
        self.tries: dict[str, WordTrie] = {}
        self.ranges: dict[str, NumberRange] = {}
        self.number_words: dict[str, WordTrie] = {}
        """Per range list, its numbers spelled out in the language ("fünfzig")."""
        self.wildcards: set[str] = set()
        for name, slot_list in library.items():
            if isinstance(slot_list, RangeSlotList):
                number_range = NumberRange(
                    slot_list.start,
                    slot_list.stop,
                    slot_list.step,
                    slot_list.fraction_type is not None,
                    slot_list.multiplier,
                )
                self.ranges[name] = number_range
                if language != "en" and slot_list.words:  # English words: numbers.py
                    self.number_words[name] = _spelled(language, number_range)
            elif isinstance(slot_list, WildcardSlotList):
                self.wildcards.add(name)
            elif isinstance(slot_list, TextSlotList):
                trie = WordTrie()
                for value in slot_list.values:
                    for text in sample_expression(value.text_in):
                        trie.add(words(text), (value.value_out, value.context))
                self.tries[name] = trie
        self.tries["name"] = self._names(registry)
        areas = WordTrie()
        for area in registry.areas:
            for spoken in (area.name, *area.aliases):
                areas.add(words(spoken), (area.id, None))
        self.tries["area"] = areas
        floor_trie = WordTrie()
        for floor_id, floor_name, aliases in floors:
            for spoken in (floor_name, *aliases):
                floor_trie.add(words(spoken), (floor_id, None))
        self.tries["floor"] = floor_trie

    @staticmethod
    def _names(registry: DeviceRegistry) -> WordTrie:
        trie = WordTrie()
        for entity in registry:
            context: dict[str, Any] = {"domain": entity.domain.value, "entity_id": entity.id}
            if entity.device_class:
                context["device_class"] = entity.device_class
            for spoken in (entity.name, *entity.aliases):
                for index, phrase in enumerate(name_variants(words(spoken))):
                    trie.add(
                        phrase, (entity.name, {**context, "variant": True} if index else context)
                    )
        return trie

    def vocabulary(self, list_names: Iterable[str] = ("name", "area", "floor")) -> set[str]:
        """Words of the registry's lists (what a misheard word may be repaired to)."""
        found: set[str] = set()
        for name in list_names:
            if name in self.tries:
                found |= self.tries[name].vocabulary()
        return found

    def spans_for(self, tokens: Sequence[str]) -> SpanCache:
        """A span lookup for one sentence (cached per list and position)."""
        return SpanCache(self, tokens)


class SpanCache:
    """``spans(list_name, position)`` for one sentence."""

    def __init__(self, lists: SlotLists, tokens: Sequence[str]) -> None:
        self.lists = lists
        self.tokens = tokens
        self.cache: dict[tuple[str, int], Sequence[Span]] = {}
        self._numbers: dict[int, list[tuple[int, float]]] = {}

    def __call__(self, list_name: str, start: int) -> Sequence[Span]:
        key = (list_name, start)
        found = self.cache.get(key)
        if found is None:
            found = self._compute(list_name, start)
            self.cache[key] = found
        return found

    def _compute(self, list_name: str, start: int) -> Sequence[Span]:
        tokens = self.tokens
        if start >= len(tokens):
            return ()
        trie = self.lists.tries.get(list_name)
        if trie is not None:
            return trie.spans(tokens, start)
        number_range = self.lists.ranges.get(list_name)
        if number_range is not None:
            if start not in self._numbers:
                self._numbers[start] = read_numbers(tokens, start)
            readings = list(self._numbers[start])
            spelled = self.lists.number_words.get(list_name)
            if spelled is not None:
                readings += [(end, float(n)) for end, n, _ in spelled.spans(tokens, start)]
            spans: list[Span] = []
            for end, number in readings:
                value = number_range.accept(number)
                if value is not None:
                    spans.append((end, value, None))
            return spans
        if list_name in self.lists.wildcards:
            return [
                (end, " ".join(tokens[start:end]), None)
                for end in range(start + 1, len(tokens) + 1)
            ]
        return ()
