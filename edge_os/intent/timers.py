"""Timers asked for by their length, however the request is worded.

Home Assistant's sentences start a timer for "set a timer for ten minutes" and a few more
shapes; people also say "give me a shout in half an hour", "pasta timer for eight
minutes", "count down twenty minutes for me", "set an alarm for 45 minutes from now" or
"an hour and a quarter". A sentence is read as a timer when it says one length of time
and a word that asks to be told when it is up, and names no device (a device with a time
is a request for later, which edge-os does not schedule).
"""

from __future__ import annotations

from collections.abc import Sequence

from edge_os.intent.compiled import said_in
from edge_os.intent.numbers import read_numbers

_UNITS = {
    "hour": "hours", "hours": "hours", "hr": "hours", "hrs": "hours",
    "minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
    "second": "seconds", "seconds": "seconds", "sec": "seconds", "secs": "seconds",
}  # fmt: skip
_SECONDS = {"hours": 3600, "minutes": 60, "seconds": 1}
_FRACTIONS = {"half": 0.5, "quarter": 0.25}

_ASKING_TO_BE_TOLD = frozenset({
    "timer", "alarm", "shout", "ping", "buzz", "beep", "countdown", "nudge", "holler", "wake",
})  # fmt: skip
"""Words that ask to be told when the time is up. Not "remind": a reminder is of something
("remind me to call mum in an hour"), which a timer does not say; the sentences Home
Assistant's way ("remind me in ten minutes to ...") keep it as the timer's name."""
_TOLD_PHRASES = (("count", "down"), ("let", "me", "know", "in"), ("tell", "me", "in"))
_NOT_STARTING = frozenset({
    "cancel", "stop", "pause", "delete", "remove", "clear", "end", "left", "remaining", "how",
    "what", "what's", "when", "is", "are", "was", "did", "didn't", "don't", "not", "never",
    "unpause", "resume", "add", "extend", "snooze", "turn", "switch", "set's", "every",
})  # fmt: skip
"""Words of a sentence about a timer that is not a new one, or a question."""


def read_timer(tokens: Sequence[str]) -> dict[str, int] | None:
    """The slots of the timer ``tokens`` ask for ({"minutes": 30}), or None."""
    said = set(tokens)
    if said & _NOT_STARTING or not (
        said & _ASKING_TO_BE_TOLD or any(said_in(tokens, phrase) for phrase in _TOLD_PHRASES)
    ):
        return None
    said_length = duration(tokens)
    if said_length is None:
        return None
    seconds = sum(_SECONDS[unit] * count for unit, count in said_length.items())
    return said_length if 0 < seconds <= 24 * 3600 else None


def duration(tokens: Sequence[str]) -> dict[str, int] | None:
    """The one length of time the words say, in the units said ("ninety minutes":
    {"minutes": 90}); a fraction in the next unit down ("an hour and a quarter": 1 hour
    15 minutes, "half an hour": 30 minutes). None for none, or two lengths apart."""
    total: dict[str, float] = {}
    last, index = -2, 0
    while index < len(tokens):
        found = _length_at(tokens, index)
        if found is None:
            index += 1
            continue
        end, unit, count = found
        if total and index - last > 2:  # "for 5 minutes ... in 10 minutes": two lengths
            return None
        whole = int(count)
        total[unit] = total.get(unit, 0) + whole
        if count > whole:
            smaller = _SMALLER.get(unit)
            if smaller is None:
                return None  # "a half second"
            total[smaller] = total.get(smaller, 0) + round((count - whole) * 60)
        last, index = end, end
    slots = {unit: int(count) for unit, count in total.items() if count}
    return slots or None


_SMALLER = {"hours": "minutes", "minutes": "seconds"}


def _length_at(tokens: Sequence[str], index: int) -> tuple[int, str, float] | None:
    """(end, unit, count) of a length said from ``index``: "ten minutes", "an hour and a half",
    "half an hour", "a quarter of an hour", "2 and a half minutes"."""
    word = tokens[index]
    if word in {"a", "an"} and index + 1 < len(tokens) and tokens[index + 1] in _FRACTIONS:
        index += 1  # "a quarter of an hour", "a half hour"
        word = tokens[index]
    if word in _FRACTIONS:
        rest = list(tokens[index + 1 : index + 4])
        for skip in (["of", "an"], ["of", "a"], ["an"], ["a"], []):
            if rest[: len(skip)] == skip and len(rest) > len(skip):
                unit = _UNITS.get(rest[len(skip)])
                if unit is not None:
                    return index + 2 + len(skip), unit, _FRACTIONS[word]
        return None
    if word in {"a", "an"} and index + 1 < len(tokens) and tokens[index + 1] in _UNITS:
        count: float = 1.0
        end = index + 1
    elif spans := read_numbers(tokens, index):
        end, count = max(spans)
    else:
        return None
    extra = 0.0
    if tokens[end : end + 3] in (["and", "a", "half"], ["and", "a", "quarter"]):
        extra, end = _FRACTIONS[tokens[end + 2]], end + 3
    unit = _UNITS.get(tokens[end]) if end < len(tokens) else None
    if unit is None:
        return None
    end += 1
    if tokens[end : end + 3] in (["and", "a", "half"], ["and", "a", "quarter"]):
        extra, end = extra + _FRACTIONS[tokens[end + 2]], end + 3  # "an hour and a half"
    return end, unit, count + extra
