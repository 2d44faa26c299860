"""Several commands in one sentence: where the clauses are, and the verb a clause borrows.

"Turn off the lights and lock the front door" is two commands; "turn on the kitchen light
and the coffee machine" is two as well, the second borrowing "turn on". Pure word work:
the engine decides whether every clause is understood (:meth:`IntentEngine.recognize_all`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from edge_os.devices.entity import Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.compiled import words
from edge_os.intent.mentions import MentionFinder
from edge_os.intent.plan import QUERY_INTENTS, carries
from edge_os.stages.protocols import IntentResult, SlotValue

JOINERS: tuple[tuple[str, ...], ...] = (
    ("and", "then"), ("and", "also"), ("then",), ("and",), ("also",),
    ("plus",),
)  # fmt: skip
"""Words that join two commands, longest first."""
ARTICLES = frozenset({"the", "a", "an", "my", "our"})
MAX_CLAUSES = 4


VERBS = frozenset({
    "turn", "switch", "close", "open", "lock", "unlock", "toggle", "set", "dim", "start",
    "raise", "lower", "activate", "deactivate", "enable", "disable", "shut", "stop", "pause",
    "play", "mute", "unmute", "brighten", "make", "put", "kill",
})  # fmt: skip
"""Words that start a command: a second one in a clause starts a new clause ("turn off the
fan close the blinds")."""
_BEFORE_OBJECT = frozenset({*ARTICLES, "to", "and", "please", "you", "i", "we", "me", "it",
                            "don't", "dont", "not", "never", "no", "is", "are", "be", "been",
                            "was", "were", "stays", "stay", "remains", "remain"})  # fmt: skip
"""Words after which a command word does not start a new clause ("but don't close ...",
"make certain the blinds are open")."""
_ONE_WORD_VERBS = frozenset({"resume", "dock", "send", "skip", "lower", "raise", "clean"})
"""Verbs that, said alone before "and", share the device of what follows."""
_CLOSING = frozenset({"please", "now", "thanks", "again"})
"""Words that may follow a command word that ends the sentence: "make the blinds open now"."""


def split_clauses(tokens: Sequence[str]) -> list[list[str]]:
    """The sentence cut at every joining word, and before a command word that follows a
    finished command and has words of its own after it, when each side keeps a word (else
    the sentence whole). The "both"
    of "both X and Y" goes: each clause names one."""
    if "both" in tokens and "and" in tokens[tokens.index("both") :]:
        at = tokens.index("both")
        tokens = [*tokens[:at], *tokens[at + 1 :]]
    clauses: list[list[str]] = [[]]
    index = 0
    while index < len(tokens):
        for joiner in JOINERS:
            if (
                tuple(tokens[index : index + len(joiner)]) == joiner
                and clauses[-1]
                and not _in_a_number(tokens, index)
            ):
                clauses.append([])
                index += len(joiner)
                break
        else:
            token, current = tokens[index], clauses[-1]
            if (
                token in VERBS
                and len(current) > 2
                and any(t in VERBS for t in current)
                and current[-1] not in _BEFORE_OBJECT
                and not all(t in _CLOSING for t in tokens[index + 1 :])
            ):
                clauses.append([])
            clauses[-1].append(token)
            index += 1
    clauses = [c for c in clauses if c]
    if any(len(c) == 1 and c[0] in VERBS | _ONE_WORD_VERBS for c in clauses[:-1]):
        # "stop and dock the hallway vacuum", "pause and resume the loft tv": a verb alone
        # shares the next clause's device; read whole, never as a request of its own
        return [list(tokens)]
    return clauses if 1 < len(clauses) <= MAX_CLAUSES else [list(tokens)]


def _in_a_number(tokens: Sequence[str], index: int) -> bool:
    """ "a hundred and fifty", "one and a half", "an hour and ten minutes": an "and" inside
    a number or a length joins nothing."""
    if tokens[index] != "and":
        return False
    before = tokens[index - 1] if index else ""
    return before in _NUMBER_GLUE or tokens[index + 1 : index + 3] == ["a", "half"]


_NUMBER_GLUE = frozenset({"hundred", "thousand", "hour", "hours", "minute", "minutes"})
"""Words an "and" inside a number or a length follows: "one hour and fifteen minutes"."""


def verb_of(clause: Sequence[str], finder: MentionFinder) -> list[str]:
    """The words of ``clause`` before the first thing it names ("turn on" of "turn on the
    kitchen light"), without a trailing article; its first two words when it names none."""
    found = finder.find(clause)
    positions = [min(m.positions) for m in [*found.entities[:1], *found.areas[:1]]]
    positions += list(found.groups.values())
    end = min(positions) if positions else min(2, len(clause))
    verb = list(clause[:end])
    while verb and verb[-1] in ARTICLES:
        verb.pop()
    return verb


def only_names(clause: Sequence[str], finder: MentionFinder) -> bool:
    """Whether ``clause`` says nothing but what it is about ("the walkway light", "both
    fans"): it takes the verb of the clause before it, never a meaning of its own."""
    if clause and clause[0] in VERBS:
        return False  # "lock the back door" where the lock is called "Back Door Lock"
    found = finder.find(clause)
    said: set[int] = set(found.kinds)
    for mention in [*found.entities[:1], *found.areas[:1], *found.floors[:1]]:
        said |= mention.positions
    rest = [t for i, t in enumerate(clause) if i not in said]
    return bool(said) and all(t in _FILLING for t in rest)


_FILLING = frozenset({*ARTICLES, "both", "all", "too", "also", "in", "on", "of", "please"})


def drop_article(clause: Sequence[str]) -> list[str]:
    """``clause`` without a leading "the" (it gets the borrowed verb's own)."""
    words = list(clause)
    while words and words[0] in ARTICLES:
        words.pop(0)
    return ["the", *words] if words else words


_LEADS: tuple[tuple[str, ...], ...] = (
    ("what", "about"), ("how", "about"), ("and", "also"), ("and",), ("also",), ("now",),
    ("same", "for"), ("same", "in"), ("do", "the", "same", "for"), ("do", "the", "same", "in"),
)  # fmt: skip
_TAILS: tuple[tuple[str, ...], ...] = (("as", "well"), ("too",), ("also",), ("please",))
_PLACE_WORDS = frozenset({"in", "on", "at", "for", "of", *ARTICLES})


def follow_up(
    text: str, context: Sequence[IntentResult], finder: MentionFinder, registry: DeviceRegistry
) -> list[IntentResult]:
    """The conversation's last request again, for what ``text`` names instead: "and the
    bedroom too", "what about the kitchen", "the counter lights as well". Empty when the
    text says more than a name or place, or nothing named can do the request."""
    tokens = words(text)
    for lead in _LEADS:
        if tuple(tokens[: len(lead)]) == lead:
            tokens = tokens[len(lead) :]
            break
    for tail in _TAILS:
        if len(tokens) > len(tail) and tuple(tokens[-len(tail) :]) == tail:
            tokens = tokens[: -len(tail)]
            break
    if not tokens:
        return []
    found = finder.find(tokens)
    entity = found.entities[0] if found.entities else None
    area = found.areas[0] if found.areas else None
    said: set[int] = set(found.groups.values())
    if entity is not None and entity.score >= 0.99 and entity.contiguous:
        said |= entity.positions
        area = None
    elif area is not None:
        said |= area.positions
        entity = None
    else:
        return []
    if any(i not in said and t not in _PLACE_WORDS for i, t in enumerate(tokens)):
        return []  # more than a name: a sentence of its own
    results: list[IntentResult] = []
    for last in context:
        if last.intent is None or last.intent in QUERY_INTENTS - {"HassGetState"}:
            continue
        slots = {k: v for k, v in last.slots.items() if k not in {"name", "area", "floor"}}
        if entity is not None:
            candidates = [registry[entity.id]]
            slots["name"] = registry[entity.id].name
        else:
            assert area is not None
            domains = {e.domain for e in map(registry.get, last.targets) if e is not None}
            candidates = [e for e in registry.in_area(area.id) if e.domain in domains]
            slots["area"] = area.id
        able = tuple(e.id for e in candidates if _can(last.intent, e, slots))
        if not able:
            return []
        results.append(replace(last, text=text, slots=slots, targets=able))
    return results


def _can(intent: str, entity: Entity, slots: dict[str, SlotValue]) -> bool:
    return intent in QUERY_INTENTS or carries(intent, entity, slots)
