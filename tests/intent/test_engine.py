"""The engine: grammar first, the fallback only when it does not match, the cache, confidence."""

from __future__ import annotations

from edge_os.config.settings import IntentSettings
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.engine import IntentEngine
from edge_os.stages.protocols import IntentResult


class RecordingFallback:
    """An IntentRecognizer that answers one fixed result and records what it was asked."""

    def __init__(self, result: IntentResult) -> None:
        self.result = result
        self.asked: list[tuple[str, str | None]] = []

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        self.asked.append((text, area))
        return self.result


def test_fallback_only_when_grammar_fails(registry: DeviceRegistry) -> None:
    fallback = RecordingFallback(
        IntentResult("x", "HassTurnOn", {}, ("switch.coffee_machine",), 0.8, "llm")
    )
    engine = IntentEngine(registry, default_area="kitchen", fallback=fallback)
    assert engine.recognize("turn on the coffee machine").path == "grammar"
    assert fallback.asked == []
    result = engine.recognize("get the bean juice going")
    assert (result.path, result.intent) == ("llm", "HassTurnOn")
    assert fallback.asked == [("get the bean juice going", "kitchen")]


def test_cache_answers_repeats(registry: DeviceRegistry) -> None:
    engine = IntentEngine(registry, IntentSettings(cache_size=2), default_area="living_room")
    first = engine.recognize("Turn on the desk light")
    again = engine.recognize("turn on the desk light!")
    assert (first.path, again.path) == ("grammar", "cache")
    assert again.targets == first.targets
    assert engine.recognize("turn on the desk light", area="office").path == "grammar"
    engine.recognize("what time is it")
    engine.recognize("never mind")
    assert engine.recognize("Turn on the desk light").path == "grammar"  # evicted (LRU of 2)
    assert not engine.recognize("no such thing").understood
    assert engine.recognize("no such thing").path == "grammar"  # misses are not cached


def test_a_guess_is_never_served_from_the_cache(registry: DeviceRegistry) -> None:
    # a repeated LLM (or learned) reading must stay a guess: "cache" would skip the question
    fallback = RecordingFallback(
        IntentResult("x", "HassTurnOn", {}, ("switch.coffee_machine",), 0.6, "llm")
    )
    engine = IntentEngine(registry, IntentSettings(cache_size=8), fallback=fallback)
    assert engine.recognize("get the bean juice going").path == "llm"
    assert engine.recognize("get the bean juice going").path == "llm"
    assert len(fallback.asked) == 2


def test_low_confidence_counts_as_not_understood(registry: DeviceRegistry) -> None:
    fallback = RecordingFallback(IntentResult("x", "HassTurnOn", {}, ("light.desk_led",), 0.2))
    engine = IntentEngine(registry, IntentSettings(min_confidence=0.5), fallback=fallback)
    assert not engine.recognize("mumble mumble").understood
