"""Numbers as people say them: "50", "21.5", "fifty", "twenty one", "two point five".

hassil matches a range list against digits and against number words; the compiled matcher
reads every way the words at a position can be a number, and the automaton keeps the
readings that let the whole sentence match ("twenty one degrees" is 21, not 20 + "one").
"""

from __future__ import annotations

from collections.abc import Sequence

from edge_os.intent.normalize import read_number

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
