"""``describe`` answers at once, before any model is loaded, naming every service and language."""

from __future__ import annotations

import time

from wyoming.info import Describe, Info

from tests.wyoming.client import exchange
from tests.wyoming.conftest import RunningServer


def test_describe_lists_every_service_without_loading_a_model(bare_server: RunningServer) -> None:
    started = time.perf_counter()
    events = exchange(bare_server.port, [Describe().event()], until={"info"})
    elapsed = time.perf_counter() - started
    assert [e.type for e in events] == ["info"]
    info = Info.from_event(events[0])

    # Home Assistant gives describe 1 s; nothing may be loaded to answer it
    assert elapsed < 1.0, elapsed
    engines = bare_server.engines
    assert (engines._stt, engines._voice, engines._wake_factory, engines._assistant) == (None,) * 4

    assert [(p.name, p.installed) for p in info.asr] == [("edge-os", True)]
    assert [(m.name, m.languages, m.installed) for m in info.asr[0].models] == [
        ("tiny.en", ["en"], True)
    ]
    assert [(v.name, v.languages) for v in info.tts[0].voices] == [("en_US-joe-medium", ["en_US"])]
    assert info.tts[0].installed and info.tts[0].supports_synthesize_streaming
    assert [(m.name, m.phrase, m.installed) for m in info.wake[0].models] == [
        ("hey_jarvis", "hey jarvis", True)
    ]
    assert [m.languages for m in info.intent[0].models] == [["en"]]
    assert [m.languages for m in info.handle[0].models] == [["en"]]
    assert info.intent[0].installed and info.handle[0].installed


def test_describe_twice_on_one_connection(bare_server: RunningServer) -> None:
    events = exchange(bare_server.port, [Describe().event()] * 3, {"info"}, count=3)
    assert [e.type for e in events] == ["info"] * 3
