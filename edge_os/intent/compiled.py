"""Home Assistant's sentence templates compiled into one word-level automaton.

hassil parses the templates of ``home-assistant-intents`` into expression trees and matches
a sentence by walking every template character by character (milliseconds per sentence).
Here the trees are compiled once into a single automaton over *words*: alternatives,
optionals, permutations and expansion rules become states and edges, list references
(``{name}``, ``{area}``, ``{brightness}``) become slot edges. Matching a sentence is then a
walk over its few words with a dict lookup per step; slot edges read the spans that a list
covers at a position, computed once per sentence. Dead ends are remembered, so the walk is
polynomial even for permutation-heavy templates.

The automaton does not depend on the registry: names, areas and floors are slot lists
looked up at match time, so a changed registry costs no recompilation.

Latency contract: tens to hundreds of microseconds per sentence; compiling English takes
well under a second on one core. hassil stays the reference this is tested against.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hassil import (
    Alternative,
    Expression,
    Group,
    IntentData,
    Intents,
    ListReference,
    Permutation,
    RuleReference,
    TextChunk,
)

_SP = " "
_DROP = re.compile(r"[\"“”„«»()\[\]{}!?¿¡.,;:…]")
_SPLIT_SYMBOL = re.compile(r"\s*([%°])\s*")
_NEGATIVE = re.compile(r"(?<![\w.])-(?=\d)")
_DIGIT_LETTER = re.compile(r"(\d)([^\W\d_])")


def words(text: str) -> list[str]:
    """Text as the automaton's words: lower case, punctuation gone, "%" and "°" words of their
    own, a number glued to a unit split from it."""
    text = text.casefold().replace("\u2019", "'")
    text = _NEGATIVE.sub(" minus ", text).replace("-", " ")  # "-5 percent" is not "5 percent"
    text = re.sub(r"(\d)\.(\d)", "\\1\0\\2", text)  # keep decimal points
    text = _DROP.sub(" ", text).replace("\0", ".")
    text = _SPLIT_SYMBOL.sub(r" \1 ", text)
    text = _DIGIT_LETTER.sub(r"\1 \2", text)  # "4000k" is "4000 k", as hassil reads it
    said = [_CONTRACTIONS.get(word, word) for word in text.split()]
    said = [w for i, w in enumerate(said) if not (i and w == said[i - 1] and w in _STUTTERED)]
    return [_HEARD_FOR.get(said[0], said[0]), *said[1:]] if said else said


def said_in(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    """Whether ``phrase`` is said, word for word, somewhere in ``tokens``."""
    width = len(phrase)
    return any(list(tokens[i : i + width]) == list(phrase) for i in range(len(tokens) - width + 1))


_STUTTERED = frozenset({"the", "a", "an", "my", "to", "it", "i", "you", "can", "could",
                        "please", "turn", "switch", "and", "set"})  # fmt: skip
"""Words a speaker says twice in a row that mean them once ("switch off the, the light")."""
_HEARD_FOR = {"clothes": "close", "paws": "pause", "pours": "pause"}
"""What speech-to-text writes for a command's first word: "Clothes the blinds"."""


_CONTRACTIONS = {
    word.replace("'", ""): word
    for word in (
        "i'm", "i've", "don't", "doesn't", "didn't", "can't", "isn't", "aren't", "wasn't",
        "weren't", "haven't", "hasn't", "couldn't", "wouldn't", "shouldn't", "won't", "that's",
        "what's", "there's", "you're", "they're", "we've", "it'll", "who's",
    )
}  # fmt: skip
"""Contractions speech-to-text writes without the apostrophe ("dont turn off the light"), where
the word without it is no other word ("its", "were", "ill", "lets" are left as they are)."""


@dataclass
class State:
    """One word-level state, with its epsilon closure already folded in."""

    words: dict[str, list[int]] = field(default_factory=dict)
    slots: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """List name -> [(slot name, target state)]: one span lookup per list."""
    finals: list[int] = field(default_factory=list)
    """Indices of the templates (``Automaton.blocks``) that may end here."""


@dataclass(frozen=True)
class Block:
    """The intent data a template belongs to: what a match at its end means."""

    intent: str
    data: IntentData
    template: str


@dataclass(frozen=True)
class Capture:
    """One slot filled by a match."""

    slot: str
    list_name: str
    value: Any
    text: str
    context: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Match:
    """A whole sentence matched by one template."""

    block: Block
    captures: tuple[Capture, ...]
    literal_words: int
    """Words matched by the template's own text (not by lists): more is more specific."""


Spans = Callable[[str, int], Sequence[tuple[int, Any, Mapping[str, Any] | None]]]
"""(list name, position) -> [(end position, value, context)] for the sentence at hand."""


class _Builder:
    """Expression trees -> a character-piece graph -> the word-level automaton."""

    def __init__(self, rules: Mapping[str, Any]) -> None:
        self.rules = rules
        # piece graph: state -> [(kind, label, target)]; kinds: "t" text, "s" space,
        # "e" epsilon, "l" list reference
        self.edges: list[list[tuple[str, Any, int]]] = []
        self.final_of: dict[int, int] = {}

    def new(self) -> int:
        self.edges.append([])
        return len(self.edges) - 1

    def add(self, start: int, kind: str, label: Any, end: int) -> None:
        self.edges[start].append((kind, label, end))

    def expression(self, expr: Expression, start: int, depth: int = 0) -> int:
        """Add ``expr`` after ``start``; return its end state."""
        if depth > 64:
            raise ValueError("expansion rules nest too deeply (a rule refers to itself?)")
        if isinstance(expr, TextChunk):
            return self.text(expr.text, start)
        if isinstance(expr, ListReference):
            before = self.new()
            self.add(start, "s", None, before)
            after = self.new()
            self.add(before, "l", (expr.list_name, expr.slot_name), after)
            end = self.new()
            self.add(after, "s", None, end)
            return end
        if isinstance(expr, RuleReference):
            rule = self.rules.get(expr.rule_name)
            if rule is None:
                raise ValueError(f"unknown expansion rule <{expr.rule_name}>")
            return self.expression(rule.expression, start, depth + 1)
        if isinstance(expr, Permutation):
            return self.permutation(list(expr.items), start, depth)
        if isinstance(expr, Alternative):
            end = self.new()
            for item in expr.items:
                self.add(self.expression(item, start, depth + 1), "e", None, end)
            if expr.is_optional:
                self.add(start, "e", None, end)
            return end
        if isinstance(expr, Group):  # a sequence
            state = start
            for item in expr.items:
                state = self.expression(item, state, depth + 1)
            return state
        raise ValueError(f"unexpected template expression {expr!r}")

    def permutation(self, items: list[Expression], start: int, depth: int) -> int:
        end = self.new()
        for index, item in enumerate(items):
            state = self.expression(item, start, depth + 1)
            rest = items[:index] + items[index + 1 :]
            if rest:
                spaced = self.new()
                self.add(state, "s", None, spaced)
                state = self.permutation(rest, spaced, depth + 1)
            self.add(state, "e", None, end)
        return end

    def text(self, text: str, start: int) -> int:
        state = start
        for piece in re.split(r"(\s+)", text.casefold().replace("-", " ")):
            if not piece:
                continue
            nxt = self.new()
            if piece.isspace():
                self.add(state, "s", None, nxt)
            else:
                tokens = words(piece)
                # "50%" style pieces split into words: join them with spaces
                for position, token in enumerate(tokens):
                    if position:
                        spaced = self.new()
                        self.add(state, "s", None, spaced)
                        state = spaced
                    inner = self.new() if position < len(tokens) - 1 else nxt
                    self.add(state, "t", token, inner)
                    state = inner
                if not tokens:
                    self.add(state, "e", None, nxt)
            state = nxt
        return state

    def to_words(self, roots: list[int]) -> list[State]:
        """The word-level automaton reachable from ``roots`` (state 0 is the start)."""
        word_index: dict[int, int] = {}
        order: list[int] = []
        # raw word-level edges per word state before closure
        raw_words: list[list[tuple[str, int]]] = []
        raw_slots: list[list[tuple[str, str, int]]] = []
        raw_eps: list[list[int]] = []
        raw_final: list[list[int]] = []

        def index_of(piece_state: int) -> int:
            if piece_state not in word_index:
                word_index[piece_state] = len(order)
                order.append(piece_state)
                raw_words.append([])
                raw_slots.append([])
                raw_eps.append([])
                raw_final.append([])
            return word_index[piece_state]

        start = index_of(-1)
        for root in roots:
            raw_eps[start].append(index_of(root))
        done = 1
        while done < len(order):
            boundary = order[done]
            here = done
            done += 1
            # walk text/epsilon pieces from the boundary, building one word
            stack: list[tuple[int, str]] = [(boundary, "")]
            seen: set[tuple[int, str]] = set()
            while stack:
                state, word = stack.pop()
                if (state, word) in seen:
                    continue
                seen.add((state, word))
                if state in self.final_of:
                    if word:
                        end = self._final_state(state, index_of, raw_final)
                        raw_words[here].append((word, end))
                    else:
                        raw_final[here].append(self.final_of[state])
                for kind, label, target in self.edges[state]:
                    if kind == "t":
                        stack.append((target, word + label))
                    elif kind == "e":
                        stack.append((target, word))
                    elif kind == "s":
                        if word:
                            raw_words[here].append((word, index_of(target)))
                        else:
                            raw_eps[here].append(index_of(target))
                    elif kind == "l":
                        if word:  # a list glued to text: never produced by the builder
                            continue
                        raw_slots[here].append((label[0], label[1], index_of(target)))
        return _close(raw_words, raw_slots, raw_eps, raw_final)

    def _final_state(
        self,
        piece_state: int,
        index_of: Callable[[int], int],
        raw_final: list[list[int]],
    ) -> int:
        marker = -2 - piece_state
        end = index_of(marker)
        if self.final_of[piece_state] not in raw_final[end]:
            raw_final[end].append(self.final_of[piece_state])
        return end


def _close(
    raw_words: list[list[tuple[str, int]]],
    raw_slots: list[list[tuple[str, str, int]]],
    raw_eps: list[list[int]],
    raw_final: list[list[int]],
) -> list[State]:
    """Fold every state's epsilon closure into it."""
    states: list[State] = []
    for origin in range(len(raw_words)):
        closure = {origin}
        stack = [origin]
        while stack:
            for nxt in raw_eps[stack.pop()]:
                if nxt not in closure:
                    closure.add(nxt)
                    stack.append(nxt)
        state = State()
        for member in sorted(closure):
            for word, target in raw_words[member]:
                targets = state.words.setdefault(word, [])
                if target not in targets:
                    targets.append(target)
            for list_name, slot_name, target in raw_slots[member]:
                edges = state.slots.setdefault(list_name, [])
                if (slot_name, target) not in edges:
                    edges.append((slot_name, target))
            state.finals.extend(f for f in raw_final[member] if f not in state.finals)
        states.append(state)
    return states


class Automaton:
    """Every template of the chosen intents, as one word-level automaton."""

    def __init__(self, intents: Intents, names: Iterable[str] | None = None) -> None:
        wanted = set(names) if names is not None else set(intents.intents)
        builder = _Builder(intents.expansion_rules)
        self.blocks: list[Block] = []
        roots: list[int] = []
        for intent_name in sorted(wanted & set(intents.intents)):
            for data in intents.intents[intent_name].data:
                builder_rules = {**intents.expansion_rules, **data.expansion_rules}
                builder.rules = builder_rules
                for sentence in data.sentences:
                    root = builder.new()
                    end = builder.expression(sentence.expression, root)
                    final = builder.new()
                    builder.add(end, "s", None, final)
                    builder.final_of[final] = len(self.blocks)
                    self.blocks.append(Block(intent_name, data, sentence.text or ""))
                    roots.append(root)
        self.states = builder.to_words(roots)

    def match(self, tokens: Sequence[str], spans: Spans) -> list[Match]:
        """Every template match of the whole of ``tokens``."""
        matches: list[Match] = []
        dead: set[tuple[int, int]] = set()
        size = len(tokens)
        states = self.states

        def walk(state_id: int, pos: int, captures: tuple[Capture, ...], literal: int) -> bool:
            if (state_id, pos) in dead:
                return False
            state = states[state_id]
            found = False
            if pos == size:
                for final in state.finals:
                    matches.append(Match(self.blocks[final], captures, literal))
                    found = True
            else:
                for target in state.words.get(tokens[pos], ()):
                    found |= walk(target, pos + 1, captures, literal + 1)
            for list_name, edges in state.slots.items():
                found_spans = spans(list_name, pos)
                if not found_spans:
                    continue
                for end, value, context in found_spans:
                    text = " ".join(tokens[pos:end])
                    for slot_name, target in edges:
                        capture = Capture(slot_name, list_name, value, text, context)
                        found |= walk(target, end, (*captures, capture), literal)
            if not found:
                dead.add((state_id, pos))
            return found

        walk(0, 0, (), 0)
        return matches

    @property
    def size(self) -> int:
        """Number of word-level states."""
        return len(self.states)
