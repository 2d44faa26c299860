"""The plain sentences the meaning classifier sees, made the same way to train and to read.

Before the classifier looks at a sentence the reader makes it plain: a named device
becomes its kind word, a named place becomes :data:`PLACE_WORD`, and here every number
becomes :data:`NUMBER_WORD`, every one-word colour :data:`COLOUR_WORD`, and fillers go.
The classifier's training (:mod:`edge_os.intent.classifier`) fills Home Assistant's
templates with the same words, so both sides agree; the trained weights are keyed on the
sentences it makes.
"""

from __future__ import annotations

from collections.abc import Sequence

from edge_os.devices.colors import COLOR_NAMES
from edge_os.intent.grammar import FILLERS
from edge_os.intent.numbers import read_numbers

PLACE_WORD = "room"
"""The word every named place becomes."""
NUMBER_WORD = "50"
"""Numbers are read out of the sentence first, then all look alike to the classifier."""
COLOUR_WORD = "blue"
"""Every one-word colour: read out of the sentence first too, so "make the attic light
cyan" reads as "... blue" does (the encoder knows few colour names as colours)."""
_COLOURS = frozenset(c for c in COLOR_NAMES if " " not in c and c != "white")


def training_sentence(tokens: Sequence[str]) -> str:
    """How the classifier sees plain words: numbers alike, colours alike, fillers gone."""
    out: list[str] = []
    index = 0
    while index < len(tokens):
        numbers = read_numbers(tokens, index)
        if numbers:
            out.append(NUMBER_WORD)
            index = max(end for end, _ in numbers)
            continue
        if tokens[index] in _COLOURS:
            out.append(COLOUR_WORD)
        elif tokens[index] not in FILLERS:
            out.append(tokens[index])
        index += 1
    return " ".join(out)
