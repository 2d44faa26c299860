"""Polite frames around a request: "would you mind running the vacuum", "any chance you could
dim the island light?", "I'd be ever so grateful if you could switch the plug off".

English wraps requests in set phrases that ask or hedge in form and request in use. Home
Assistant's templates know "can you" and "please"; the learned reader took the frames' other
words for names of devices the home lacks ("grateful", "hoping") or read the sentence as a
question, which is never acted on. :func:`unframed` gives the request inside the frame.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_FRAME = re.compile(
    r"^(?:"
    r"(?:(?:would|do) you )?mind(?: (?:awfully|terribly|very much))?"
    r"|would you be (?:so kind as|able) to"
    r"|(?:i'd|id|i would|we'd|we would) be (?:(?:ever so|very|really|so) )?"
    r"(?:grateful|glad|happy|thankful) if you (?:could|would|can)"
    r"|(?:i|we) (?:don't|do not) suppose you (?:could|would|can)"
    r"|if you (?:wouldn't|would not|don't|do not) mind(?: (?:could|can|would) you)?"
    r"|(?:is there )?any chance (?:you could|you can|you'd|you would|of you)"
    r"|(?:i was|i'm|im|we were) (?:hoping|wondering if) you (?:could|would|might|can)"
    r"|do you think you (?:could|can)"
    r"|(?:can|could) i (?:get|ask) you to"
    r"|be a (?:dear|love|darling|star) and"
    r")(?: (?:please|just|possibly|kindly))? "
)
"""Frames at the start of a sentence (its words as :func:`compiled.words` gives them)."""

_HEDGE = re.compile(
    r"^(?:"
    r"i (?:guess|suppose) you (?:could|can|may|might)(?: as well)?"
    r"|(?:(?:i|we|you) )?might as well"
    r"|is it possible (?:for you )?to"
    r"|why (?:don't|do not) you"
    r")(?: (?:please|just|possibly|kindly))? "
)
"""Frames that may also ask, complain or mock ("why don't you turn the lights off for once",
"is it possible to lock the door from here?"): what they hold is asked before it is done."""

_MIND = re.compile(r"^(?:(?:would|do) you )?mind\b")
"""Frames after which the request is said as "-ing": "would you mind running the vacuum"."""

_VERBS = frozenset({
    "turn", "switch", "put", "pop", "open", "close", "lock", "unlock", "start", "stop", "set",
    "make", "shut", "kill", "dim", "raise", "lower", "run", "play", "pause", "resume", "mute",
    "unmute", "skip", "clean", "vacuum", "dock", "send", "get", "give", "bring", "fire",
    "crank", "knock", "brighten", "toggle", "flip", "activate", "enable", "disable", "water",
})  # fmt: skip
"""Verbs a request starts with, as their "-ing" form is turned back into."""


def _base(word: str) -> str | None:
    """ "running" -> "run", "closing" -> "close", "switching" -> "switch"; None when the word
    is not the "-ing" of a verb in :data:`_VERBS`."""
    if not word.endswith("ing") or len(word) < 6:
        return None
    stem = word[:-3]
    for candidate in (stem, stem + "e", stem[:-1] if stem[-1] == stem[-2] else ""):
        if candidate in _VERBS:
            return candidate
    return None


def unframed(tokens: Sequence[str]) -> tuple[list[str], bool] | None:
    """The request inside a polite frame, and whether the frame only hedges it (then it is
    asked before it is done); None when the sentence starts with no frame, or the frame
    wraps no request ("would you mind if I ...")."""
    said = " ".join(tokens)
    hedged = _HEDGE.match(said + " ")
    found = hedged or _FRAME.match(said + " ")
    if found is None:
        return None
    rest = said[found.end() :].split()
    if _MIND.match(said):
        verb = _base(rest[0]) if rest else None
        if verb is None:
            return None
        rest = [verb, *rest[1:]]
    return (rest, hedged is not None) if len(rest) >= 2 else None
