"""A speaker correcting themselves: where the correction starts and what it may mean."""

from __future__ import annotations

import pytest

from edge_os.intent.compiled import words
from edge_os.intent.corrections import corrected, correction


def _meant(text: str) -> list[str]:
    fix = correction(words(text))
    assert fix is not None, text
    named = {"lamp", "music"}  # what this test takes for a device's name
    return [" ".join(c) for c in corrected(fix, lambda tokens: bool(named & set(tokens)))]


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("turn on the kitchen light, no, the counter lights",
         ["turn on the counter lights"]),
        ("set the bedside lamp to thirty, sorry, forty percent",
         ["set the bedside lamp to forty percent"]),
        ("pause the, no, resume the music", ["resume the music"]),
        ("start the sprinkler, no sorry, stop it", ["stop the sprinkler"]),
        ("bedside lamp brighter, no, i mean dimmer", ["bedside lamp dimmer"]),
        ("heating to twenty, no make that twenty two", ["heating to twenty two"]),
        # the correction said alone last, and only when it names something itself
        ("the desk light, no wait, the floor lamp, on", ["the floor lamp on"]),
        ("floor lamp blue, no, actually orange", ["floor lamp orange"]),
    ],
)  # fmt: skip
def test_what_a_correction_may_mean(text: str, meant: list[str]) -> None:
    assert _meant(text) == meant


@pytest.mark.parametrize(
    "text",
    [
        "lock the door, no, leave it",
        "switch the fan on, no actually i'm fine",
        "turn off the lights, actually never mind",
        "make me a coffee, oh scratch that",
        "set a timer for ten minutes, actually no, forget the timer",
    ],
)
def test_a_correction_that_takes_the_request_back_means_nothing(text: str) -> None:
    fix = correction(words(text))
    assert fix is not None and fix.cancelled
    assert corrected(fix, lambda tokens: True) == []


@pytest.mark.parametrize(
    "text",
    [
        "no need to lock the door",
        "actually, turn on the lights",
        "sorry to bother you, could you turn on the lamp",
        "turn on the lights, no more music",
        "turn on the light sorry",  # nothing after it
    ],
)
def test_words_that_correct_nothing(text: str) -> None:
    assert correction(words(text)) is None


def test_a_text_too_long_to_be_a_request_is_not_searched() -> None:
    # an MQTT payload of any size: no quadratic search through it
    assert correction(words("turn on the light, no, " * 20_000)) is None
