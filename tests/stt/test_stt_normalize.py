"""The transcript normaliser used for WER/CER."""

from __future__ import annotations

import pytest

from edge_os.stt.normalize import normalize_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Turn on the Kitchen Light!", "turn on the kitchen light"),
        ("Set the lights to fifty percent.", "set the lights to 50 percent"),
        ("Set the lights to 50%.", "set the lights to 50 percent"),
        ("twenty-five degrees", "25 degrees"),
        ("one hundred and five", "105"),
        ("two thousand twenty four", "2024"),
        ("1,000 steps", "1000 steps"),
        ("3.5 degrees", "3 point 5 degrees"),
        ("one two three", "1 2 3"),
        ("What's the  weather,   today?", "what's the weather today"),
        ("twenty eleven", "20 11"),
        ("hundred", "hundred"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize_text(text) == expected
