"""Timers asked for by their length, however worded (edge_os.intent.timers)."""

from __future__ import annotations

import pytest

from edge_os.intent.compiled import words
from edge_os.intent.timers import read_timer


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("give me a shout in half an hour", {"minutes": 30}),
        ("set a timer for an hour and a quarter", {"hours": 1, "minutes": 15}),
        ("pasta timer for eight minutes", {"minutes": 8}),
        ("set an alarm for 45 minutes from now", {"minutes": 45}),
        ("count down twenty minutes for me", {"minutes": 20}),
        ("timer for 2 and a half minutes", {"minutes": 2, "seconds": 30}),
        ("a quarter of an hour timer", {"minutes": 15}),
        ("wake me up in ninety minutes", {"minutes": 90}),  # in the unit said
        ("let me know in 5 mins", {"minutes": 5}),
        ("timer for 5 minutes and 30 seconds", {"minutes": 5, "seconds": 30}),
    ],
)
def test_a_length_and_a_word_asking_to_be_told(text: str, slots: dict[str, int]) -> None:
    assert read_timer(words(text)) == slots


@pytest.mark.parametrize(
    "text",
    [
        "cancel the ten minute timer",  # not a new timer
        "how long is left on the timer",  # a question
        "set an alarm for 7",  # a clock time, not a length
        "turn the light off in ten minutes",  # a device later: not a timer
        "set a 10 minute timer and a 5 minute timer",  # two lengths: which is not guessed
        "the meeting is in ten minutes",  # nothing asks to be told
        "timer for 30 hours",  # longer than a day
    ],
)
def test_no_timer(text: str) -> None:
    assert read_timer(words(text)) is None
