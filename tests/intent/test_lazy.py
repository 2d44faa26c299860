"""The lazily loaded fallback: loads on first need, unloads when idle, once if missing."""

from __future__ import annotations

from edge_os.intent.lazy import LazyRecognizer
from edge_os.stages.protocols import IntentResult


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Echo:
    """An IntentRecognizer that understands everything as HassNevermind."""

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        return IntentResult(text=text, intent="HassNevermind", confidence=1.0, path="llm")


def test_loads_on_first_use_and_unloads_when_idle() -> None:
    clock = Clock()
    calls: list[int] = []

    def loader() -> Echo:
        calls.append(1)
        return Echo()

    lazy = LazyRecognizer(loader, idle_unload_seconds=60, clock=clock)
    assert not lazy.loaded and calls == []
    assert lazy.recognize("hmm").intent == "HassNevermind"
    assert lazy.loaded and len(calls) == 1
    clock.now = 59
    assert lazy.unload_if_idle() is False
    lazy.recognize("again")
    clock.now = 59 + 61
    assert lazy.unload_if_idle() is True
    assert not lazy.loaded
    lazy.recognize("back")
    assert len(calls) == 2 and lazy.loads == 2


def test_missing_model_is_tried_once() -> None:
    calls: list[int] = []

    def loader() -> None:
        calls.append(1)

    lazy = LazyRecognizer(loader, idle_unload_seconds=60)
    assert lazy.recognize("x").intent is None
    assert lazy.recognize("y").intent is None
    assert calls == [1]


def test_zero_means_keep_loaded() -> None:
    clock = Clock()
    lazy = LazyRecognizer(Echo, idle_unload_seconds=0, clock=clock)
    lazy.recognize("x")
    clock.now = 10**6
    assert lazy.unload_if_idle() is False and lazy.loaded
