"""Spoken text to matchable tokens: lower case, contractions, fillers, numbers as digits.

The same function normalises sentences and the registry's names, so "Light one" and
"turn on light one" meet as ``light 1``. Pure and fast (a few microseconds per sentence).
"""

from __future__ import annotations

import re

ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1000}
UNIT_WORDS = frozenset(
    {"hour", "hours", "minute", "minutes", "second", "seconds", "percent", "degree", "degrees"}
)

FILLER_PHRASES = (
    "would you mind",
    "i would like you to",
    "i want you to",
    "i need you to",
    "go ahead and",
    "can you",
    "could you",
    "would you",
    "will you",
    "thank you",
    "for me",
    "right now",
    "hey jarvis",
)
FILLERS = frozenset(
    {
        "the", "a", "an", "please", "kindly", "hey", "ok", "okay", "um", "uh", "uhm", "erm",
        "er", "hmm", "so", "just", "my", "our", "your", "thanks", "now", "oh", "well",
    }
)  # fmt: skip
"""Words that never change what a command means; dropped before matching."""

_CONTRACTIONS = (
    (re.compile(r"\b(what|it|that|how|where|who|there|here)'s\b"), r"\1 is"),
    (re.compile(r"\b(what|it|that|how|where|who|there|here)s\b"), r"\1 is"),
    (re.compile(r"\bwhat're\b"), "what are"),
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\b(\w+)n't\b"), r"\1 not"),
    (re.compile(r"\b(\w+)'(s|d|ll|re|ve|m)\b"), r"\1"),
)
_PHRASES = (
    (re.compile(r"\bnever ?mind\b"), "nevermind"),
    (re.compile(r"\bhalf an hour\b"), "30 minutes"),
    (re.compile(r"\b(a )?quarter of an hour\b"), "15 minutes"),
    (re.compile(r"\b(an|one|a) hour and a half\b"), "1 hour 30 minutes"),
    (re.compile(r"\b(a|an) (hour|minute|second)\b"), r"1 \2"),
    (re.compile(r"\b(a|one) (hundred|thousand)\b"), r"1 \2"),
    (re.compile(r"\bper ?cent\b"), "percent"),
    (re.compile(r"\bin this room\b"), "in here"),
    (re.compile(r"\btemp\b"), "temperature"),
)
_FILLER_RE = re.compile(r"\b(?:" + "|".join(FILLER_PHRASES) + r")\b")
_NUMBER_TOKEN = re.compile(r"^\d+(?:\.\d+)?$")


def clean(text: str) -> str:
    """Lower case, symbols spelled out, contractions opened, punctuation dropped."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)
    text = text.replace("%", " percent ").replace("°", " degrees ")
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    text = re.sub(r"(\d)\.(\d)", r"\1DOT\2", text)
    text = re.sub(r"[^\w\s]", " ", text).replace("DOT", ".").replace("_", " ")
    text = re.sub(r"(\d)([a-z])", r"\1 \2", text)
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def words_to_numbers(tokens: list[str]) -> list[str]:
    """Runs of number words become one digit token: "twenty one" -> "21", "2 point 5" -> "2.5"."""
    out: list[str] = []
    index = 0
    while index < len(tokens):
        value, used = read_number(tokens, index)
        if used:
            out.append(_format(value))
            index += used
        else:
            out.append(tokens[index])
            index += 1
    return out


def read_number(tokens: list[str], start: int) -> tuple[float, int]:  # noqa: PLR0915
    # one small state machine over number words reads better whole than split up
    """The number starting at ``start`` and how many tokens it used (0: none)."""
    total = 0.0
    current = 0.0
    last = ""  # "ones", "tens", "scale", "digits"
    index = start
    while index < len(tokens):
        token = tokens[index]
        if _NUMBER_TOKEN.match(token):
            if last:
                break
            current, last = float(token), "digits"
        elif token in ONES:
            if last in {"ones", "digits"}:
                break
            if last == "tens" and ONES[token] >= 10:
                break
            current += ONES[token]
            last = "ones"
        elif token in TENS:
            if last in {"ones", "tens", "digits"} and not (last == "digits" and current == 0):
                break
            current += TENS[token]
            last = "tens"
        elif token in SCALES and last:
            if token == "thousand":
                total += (current or 1) * 1000
                current = 0
            else:
                current = (current or 1) * 100
            last = "scale"
        elif token == "and" and last == "scale" and index + 1 < len(tokens):
            following = tokens[index + 1]
            if following not in ONES and following not in TENS:
                break
        elif token == "point" and last and index + 1 < len(tokens):
            digits = ""
            probe = index + 1
            while probe < len(tokens) and (
                (tokens[probe] in ONES and ONES[tokens[probe]] < 10) or tokens[probe].isdigit()
            ):
                word = tokens[probe]
                digits += word if word.isdigit() else str(ONES[word])
                probe += 1
            if not digits:
                break
            current += float("0." + digits)
            index = probe
            last = "decimal"
            break
        elif token == "and" and last and tokens[index + 1 : index + 3] == ["a", "half"]:
            current += 0.5
            index += 3
            last = "decimal"
            break
        else:
            break
        index += 1
    if not last or (last == "scale" and index - start == 1):
        return 0.0, 0
    if tokens[index - 1] == "and":
        index -= 1
    return total + current, index - start


def _decimals(tokens: list[str], start: int) -> tuple[float, int]:
    """Digits after "point" ("five" "two" -> 0.52) and where they end."""
    digits = ""
    probe = start
    while probe < len(tokens) and (
        (tokens[probe] in ONES and ONES[tokens[probe]] < 10) or tokens[probe].isdigit()
    ):
        word = tokens[probe]
        digits += word if word.isdigit() else str(ONES[word])
        probe += 1
    return (float("0." + digits), probe) if digits else (0.0, start)


def _format(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def drop_fillers(text: str) -> str:
    """Remove filler phrases and words ("could you", "please", "the")."""
    text = _FILLER_RE.sub(" ", text)
    return " ".join(token for token in text.split() if token not in FILLERS)


def normalize(text: str) -> list[str]:
    """Tokens to match: cleaned, fillers dropped, number words as digits."""
    return words_to_numbers(drop_fillers(clean(text)).split())


def normalize_phrase(text: str) -> str:
    """A registry name as it will appear among a sentence's tokens."""
    return " ".join(normalize(text))


def is_number(token: str) -> bool:
    """Whether a token is a number in digits (as ``words_to_numbers`` writes them)."""
    return bool(_NUMBER_TOKEN.match(token))
