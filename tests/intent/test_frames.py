"""Polite frames around a request: the request inside is read, a question or a wish is not."""

from __future__ import annotations

import pytest

from edge_os.config.settings import IntentSettings
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.compiled import words
from edge_os.intent.engine import IntentEngine
from edge_os.intent.frames import unframed


@pytest.mark.parametrize(
    ("said", "inner"),
    [
        ("would you mind awfully running the vacuum", "run the vacuum"),
        ("would you mind terribly popping the fan on", "pop the fan on"),
        ("do you mind closing the blinds", "close the blinds"),
        ("id be ever so grateful if you could switch the plug off", "switch the plug off"),
        ("I don't suppose you could put the volume on forty", "put the volume on forty"),
        ("if you wouldnt mind, resume the music", "resume the music"),
        ("any chance you could dim the island light?", "dim the island light"),
        ("I was hoping you could turn the smart plug on for me",
         "turn the smart plug on for me"),
        ("is it possible to open the kitchen blinds?", "open the kitchen blinds"),
        ("why don't you switch the garage fan off", "switch the garage fan off"),
        ("might as well put the coffee on", "put the coffee on"),
    ],
)  # fmt: skip
def test_the_request_inside_a_frame(said: str, inner: str) -> None:
    found = unframed(words(said))
    assert found is not None and found[0] == inner.split()
    # a frame that may also complain, mock or ask is a hedge: asked before it is done
    assert found[1] == said.startswith(("is it", "why", "might"))


@pytest.mark.parametrize(
    "said",
    [
        "would you mind if I turned the light off",  # asks leave, not for anything
        "is the kitchen light on",
        "turn on the kitchen light",
        "why is the fan on",
        "would you mind",  # nothing inside
    ],
)
def test_no_frame_or_no_request_inside(said: str) -> None:
    assert unframed(words(said)) is None


def test_the_engine_reads_the_request_and_keeps_what_was_said(registry: DeviceRegistry) -> None:
    engine = IntentEngine(registry, IntentSettings(cache_size=0), default_area="living_room")
    for said in (
        "would you mind turning on the kitchen light",
        "any chance you could turn on the kitchen light?",
        "Hey Jarvis, um, I'd be really grateful if you could turn on the kitchen light",
    ):
        result = engine.recognize(said)
        assert (result.intent, result.targets, result.text) == (
            "HassTurnOn",
            ("light.kitchen_ceiling",),
            said,
        ), said
    # leave asked for is no request: nothing moves
    assert not engine.recognize("would you mind if I turned off the kitchen light").understood
    # a hedge: the request read, as a guess the command path asks about first
    result = engine.recognize("why don't you turn on the kitchen light")
    assert (result.intent, result.path) == ("HassTurnOn", "model")
    assert result.confidence < IntentSettings().model_act_confidence
