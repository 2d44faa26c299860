"""A speaker correcting themselves: "turn on the kitchen light, no, the counter lights".

What comes after the last correction word replaces what came before it, never adds to it:
the first half is not a request any more. :func:`correction` finds the split;
:func:`corrected` gives the sentences that may be meant, best first: the part after the
correction said alone ("pause the, no, resume the music"), a number put in place of the
first one ("set the lamp to thirty, sorry, forty percent"), a device put after the first
half's verb ("turn on the kitchen light, no, the counter lights"), or a last word put in
place of the first half's ("bedside lamp brighter, no, dimmer"). A correction that takes
the request back ("lock the door, no, leave it") leaves nothing to do. The engine reads
the candidates in turn and acts on the first one understood, or on none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from edge_os.intent.compound import ARTICLES, VERBS
from edge_os.intent.grammar import MAX_WORDS
from edge_os.intent.numbers import read_numbers

_MARKERS = frozenset({"no", "nah", "nope", "sorry", "actually", "wait", "oops", "rather"})
"""Words that, after the start of a request, begin its correction."""
_MARKER_PAIRS = frozenset({("i", "mean"), ("i", "meant"), ("make", "that"), ("scratch", "that"),
                           ("ignore", "that"), ("my", "mistake"), ("or", "rather")})  # fmt: skip
_NOT_A_CORRECTION = frozenset({"need", "longer", "more", "one", "way", "problem", "worries", "to",
                               "for", "about", "matter"})  # fmt: skip
"""After a marker: "no need to ...", "no more music", "sorry to bother you" correct nothing."""
_LEADING = frozenset({"no", "nah", "nope", "sorry", "actually", "wait", "oops", "rather", "i",
                      "mean", "meant",
                      "make", "that", "it", "um", "uh", "er", "erm", "hmm", "oh", "just", "my",
                      "mistake", "scratch", "or"})  # fmt: skip
"""Words that open a correction before what it says ("no wait, i mean the ...")."""
_CANCELS = (("never", "mind"), ("forget", "it"), ("forget", "that"), ("forget", "the"),
            ("leave", "it"), ("leave", "them"), ("don't", "bother"), ("dont", "bother"),
            ("ignore", "that"), ("cancel", "that"), ("scratch", "that"), ("my", "mistake"),
            ("don't",), ("dont",), ("nothing",), ("cancel",), ("i'm", "fine"), ("im", "fine"),
            ("it's", "fine"), ("its", "fine"), ("i'm", "ok"), ("all", "good"), ("not", "yet"),
            ("forget",))  # fmt: skip
"""What a correction says when it takes the request back."""
_DETERMINERS = ARTICLES | {"all", "both"}
_PRONOUNS = frozenset({"it", "them", "that", "those"})
_MIN_BEFORE = 2
"""Words a request needs before its correction ("actually, turn on ..." corrects nothing),
unless the first is a verb ("unmute, no, mute the speaker")."""


@dataclass(frozen=True)
class Correction:
    """A sentence split at its last correction."""

    before: list[str]
    """What was asked first."""
    after: list[str]
    """What the correction says, without its opening words ("no, i mean")."""
    cancelled: bool
    """The correction takes the request back."""


def correction(tokens: Sequence[str]) -> Correction | None:
    """The sentence's last correction, or None when it has none (or is too long to be one
    request: never read, whatever it holds)."""
    if len(tokens) > MAX_WORDS:
        return None
    last = None
    for index in range(1 if tokens[:1] and tokens[0] in VERBS else _MIN_BEFORE, len(tokens)):
        token, after = tokens[index], tokens[index + 1 : index + 2]
        pair = (token, after[0] if after else "")
        if pair in _MARKER_PAIRS or (token in _MARKERS and pair[1] not in _NOT_A_CORRECTION):
            last = index
    if last is None:
        return None
    first = last  # the correction starts with the run of its words: "no, actually, i mean"
    while first > _MIN_BEFORE - 1 and tokens[first - 1] in _LEADING:
        first -= 1
    before = list(tokens[:first])
    rest = list(tokens[last:])
    cancelled = any(_starts_with(rest[i:], cancel) for i in range(len(rest)) for cancel in _CANCELS)
    start = 0
    while start < len(rest) and rest[start] in _LEADING:
        if any(_starts_with(rest[start:], cancel) for cancel in _CANCELS):
            break
        start += 1
    said = _once(rest[start:])
    if not said and not cancelled:
        return None  # "turn on the light, sorry": nothing after it
    return Correction(before, said, cancelled)


def corrected(fix: Correction, names: Callable[[Sequence[str]], bool]) -> list[list[str]]:
    """The sentences ``fix`` may mean, best first (none when it takes the request back).

    The correction said alone comes first when it starts with a verb, last when it only
    names a device or place (``names``), and never when it names none: "blue" alone would
    be this room's light, not the one the first half named."""
    if fix.cancelled or not fix.after:
        return []
    before, after = fix.before, fix.after
    article = next((i for i, t in enumerate(before) if t in _DETERMINERS), None)
    pronoun = next((i for i, t in enumerate(after) if t in _PRONOUNS), None)
    found: list[list[str]] = []
    if after[0] in VERBS and pronoun is not None and article is not None:
        # "start the sprinkler, no, stop it": its verb, the first half's device
        found.append(after[:pronoun] + before[article:] + after[pronoun + 1 :])
    elif after[0] in VERBS and pronoun is None:
        found.append(after)
    if read_numbers(after, 0):
        if (span := _last_number(before)) is not None:
            start, end = span
            unit = [] if len(after) > len(read_numbers(after, 0)) else before[end : end + 1]
            found.append(before[:start] + after + [t for t in unit if not read_numbers([t], 0)])
        for word in ("to", "at", "for", "by"):
            if word in before:
                cut = len(before) - before[::-1].index(word)
                found.append(before[:cut] + after)
                break
    elif after[0] in _DETERMINERS:
        if article:
            found.append(before[:article] + after)
    elif len(after) <= 2 and len(before) > 1 and after[0] not in VERBS and pronoun is None:
        found.append(before[:-1] + after)  # "bedside lamp brighter, no, dimmer"
    if names(after):  # "..., no, the garage light, turn that on"
        found.append(after)
    return [candidate for index, candidate in enumerate(found) if candidate not in found[:index]]


def _starts_with(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    return list(tokens[: len(phrase)]) == list(phrase)


def _once(tokens: list[str]) -> list[str]:
    """``tokens`` without a word said twice in a row ("on, on")."""
    return [t for i, t in enumerate(tokens) if not i or t != tokens[i - 1]]


def _last_number(tokens: Sequence[str]) -> tuple[int, int] | None:
    """Where the last number of ``tokens`` starts and ends."""
    found = None
    index = 0
    while index < len(tokens):
        spans = read_numbers(tokens, index)
        if spans:
            found = (index, spans[-1][0])
            index = spans[-1][0]
        else:
            index += 1
    return found
