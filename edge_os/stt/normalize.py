"""The text normaliser used before scoring transcripts (WER/CER).

Lower case, punctuation stripped, ``%`` spoken as "percent", and spelled-out numbers
below a million turned into digits ("twenty five" -> "25"), so "25%" and "twenty-five
percent" score the same. A small subset of Whisper's English normaliser, with no
dependencies; scoring itself uses jiwer.
"""

from __future__ import annotations

import re

_UNITS = {
    word: value
    for value, word in enumerate(
        [
            *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
            *("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen"),
            *("seventeen", "eighteen", "nineteen"),
        ]
    )
}
_TENS = {
    word: 10 * value
    for value, word in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], start=2
    )
}
_SCALES = {"hundred": 100, "thousand": 1000}
_NUMBER_WORDS = set(_UNITS) | set(_TENS) | set(_SCALES)


def normalize_text(text: str) -> str:
    """Lower case, no punctuation, numbers as digits, single spaces."""
    text = text.lower().replace("%", " percent ")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 -> 1000
    text = re.sub(r"(?<=\d)\.(?=\d)", " point ", text)
    text = re.sub("[-\u2010\u2013\u2014]", " ", text)  # hyphen and dashes
    text = re.sub(r"[^\w\s']", " ", text)
    text = re.sub(r"'(?!\w)|(?<!\w)'", " ", text)
    words = _numbers_to_digits(text.split())
    return " ".join(words)


def _numbers_to_digits(words: list[str]) -> list[str]:
    out: list[str] = []
    index = 0
    while index < len(words):
        if words[index] in _NUMBER_WORDS and words[index] not in _SCALES:
            value, used = _parse_number(words[index:])
            out.append(str(value))
            index += used
        else:
            out.append(words[index])
            index += 1
    return out


def _parse_number(words: list[str]) -> tuple[int, int]:
    """Value of the longest number phrase at the start of ``words`` and words consumed."""
    total = 0
    current = 0
    used = 0
    last: str | None = None
    for word in words:
        if word in _UNITS:
            if last in _UNITS or (last in _TENS and _UNITS[word] >= 10):
                break  # "one two" is two numbers, "twenty eleven" is not one
            current += _UNITS[word]
        elif word in _TENS:
            if last in _UNITS or last in _TENS:
                break
            current += _TENS[word]
        elif word == "hundred" and last is not None and current:
            current *= 100
        elif word == "thousand" and last is not None and (current or total):
            total += current * 1000
            current = 0
        elif word == "and" and last in _SCALES:
            used += 1
            last = word
            continue
        else:
            break
        used += 1
        last = word
    if last == "and":
        used -= 1
    return total + current, used
