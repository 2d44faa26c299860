"""Numbers as people say them: "50", "21.5", "fifty", "twenty one", "two point five".

hassil matches a range list against digits and against number words; the compiled matcher
reads every way the words at a position can be a number, and the automaton keeps the
readings that let the whole sentence match ("twenty one degrees" is 21, not 20 + "one").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
_NUMBER_TOKEN = re.compile(r"^\d+(?:\.\d+)?$")

MAX_NUMBER_WORDS = 7
"""Longest run of words read as one number ("one thousand two hundred and thirty four")."""


def read_numbers(tokens: Sequence[str], start: int) -> list[tuple[int, float]]:
    """Every (end, value) such that ``tokens[start:end]`` is exactly one number."""
    found: list[tuple[int, float]] = []
    stop = min(len(tokens), start + MAX_NUMBER_WORDS)
    for end in range(start + 1, stop + 1):
        value, used = read_number(list(tokens[start:end]), 0)
        if used == end - start:
            found.append((end, value))
    return found


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
        elif (
            token == "a"
            and not last
            and tokens[index + 1 : index + 2] in (["hundred"], ["thousand"])
        ):
            current, last = 1.0, "ones"  # "a hundred and fifty"
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
