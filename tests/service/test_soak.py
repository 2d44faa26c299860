"""Soak: minutes of mixed audio through the service faster than real time.

Every command must reach the broker exactly once and memory must stay flat. The length is
``EDGE_OS_SOAK_MINUTES`` (default 5; ``bench/soak.py`` runs 30 and records the curve).
"""

from __future__ import annotations

import asyncio
import os

from edge_os.audio.sources import MockSource
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.pipeline.assistant import Assistant
from edge_os.service.loop import VoiceService
from edge_os.service.soak import soak_stream
from edge_os.service.status import rss_mb
from edge_os.stages.events import ActionFinished, Event
from tests.mqtt_broker import Subscriber
from tests.service.conftest import DEMO_WAV
from tests.waiting import wait_until


def test_soak_loses_nothing_and_memory_stays_flat(
    assistant: Assistant, broker: EmbeddedBroker
) -> None:
    minutes = float(os.environ.get("EDGE_OS_SOAK_MINUTES", "5"))
    stream, cycles = soak_stream(DEMO_WAV, minutes)
    subscriber = Subscriber(broker, "zigbee2mqtt/kitchen_ceiling/set", client_id="soak-test")
    rss_after: dict[int, float] = {}
    actions: list[Event] = []

    def on_event(event: Event) -> None:
        if isinstance(event, ActionFinished):
            actions.append(event)
            rss_after[len(actions)] = rss_mb()

    # Fed faster than real time, a follow-up window would open at a random later point.
    original = assistant.config
    assistant.config = original.model_copy(
        update={"intent": original.intent.model_copy(update={"follow_up_seconds": 0.0})}
    )
    service = VoiceService(assistant, MockSource(stream), on_event=on_event)
    try:
        asyncio.run(service.run())
        wait_until(lambda: len(subscriber.received()) >= cycles, 30, f"{cycles} commands")
        received = subscriber.received()
        assert len(received) == cycles  # none lost, none twice
        assert all(m.payload == b'{"state": "ON"}' for m in received)
        assert [e.to_dict()["status"] for e in actions] == ["done"] * cycles
        assert service.metrics.snapshot()["errors"] == 0
        growth = rss_after[cycles] - rss_after[min(2, cycles)]
        assert growth < 40, f"RSS grew {growth:.1f} MiB over {cycles} commands"
    finally:
        assistant.config = original
        subscriber.close()
