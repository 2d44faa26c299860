"""The state cache keeps what devices report, bounded whatever they send."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from edge_os.config.loader import load_config
from edge_os.devices.entity import Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.drivers.mqtt.state import (
    MAX_JSON_DEPTH,
    MAX_PAYLOAD_BYTES,
    MAX_STATE_CHARS,
    WARNING_BURST,
    WARNING_INTERVAL_SECONDS,
    StateCache,
    WarningLimiter,
    parse_state,
)
from tests.conftest import EXAMPLE_HOME, Clock
from tests.drivers.helpers import home_config, start_driver
from tests.mqtt_broker import Subscriber
from tests.waiting import wait_until

RAW = "light.kitchen_counter"
"""Tasmota: the payload is the state."""
JSON = "light.kitchen_ceiling"
"""Zigbee2MQTT: the state is the ``state`` key of a JSON object."""


@pytest.fixture(scope="module")
def home() -> DeviceRegistry:
    return DeviceRegistry.from_config(load_config(EXAMPLE_HOME))


def entity(home: DeviceRegistry, entity_id: str) -> Entity:
    found = home.get(entity_id)
    assert found is not None
    return found


def nested(depth: int) -> bytes:
    return b'{"state": "ON", "extra": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "edge_os.drivers.mqtt.state"]


def test_a_megabyte_payload_is_dropped_before_parsing(
    home: DeviceRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    cache = StateCache()
    cache.feed(entity(home, RAW), "stat/kitchen_counter/POWER", b"ON")
    with caplog.at_level(logging.WARNING, logger="edge_os.drivers.mqtt.state"):
        assert cache.feed(entity(home, RAW), "stat/kitchen_counter/POWER", b"x" * 2**20) is None
        huge_json = b'{"state": "' + b"x" * 2**20 + b'"}'
        assert cache.feed(entity(home, JSON), "z/kitchen", huge_json) is None
    state = cache.get(RAW)
    assert state is not None and state.state == "ON"  # the last good state stays
    assert cache.get(JSON) is None
    assert len(warnings(caplog)) == 2
    assert f"1048576 bytes (at most {MAX_PAYLOAD_BYTES})" in warnings(caplog)[0]


@pytest.mark.parametrize("length", [MAX_STATE_CHARS, MAX_STATE_CHARS + 1])
def test_states_longer_than_home_assistants_are_refused(home: DeviceRegistry, length: int) -> None:
    for entity_id, payload in (
        (RAW, b"y" * length),
        (JSON, b'{"state": "' + b"y" * length + b'"}'),
    ):
        cache = StateCache()
        cache.feed(entity(home, entity_id), "t", payload)
        state = cache.get(entity_id)
        if length <= MAX_STATE_CHARS:
            assert state is not None and state.state == "y" * length
        else:
            assert state is None


def test_deep_json_is_refused_without_recursion(home: DeviceRegistry) -> None:
    light = entity(home, JSON)
    assert parse_state(light, nested(MAX_JSON_DEPTH)) == "ON"
    cache = StateCache()
    # 20000 levels fit in 40 kB: json.loads would raise RecursionError in paho's thread.
    assert cache.feed(light, "z/kitchen", nested(20000)) is None
    assert cache.feed(light, "z/kitchen", nested(MAX_JSON_DEPTH + 1)) is None
    assert cache.get(JSON) is None


def test_brackets_inside_json_strings_do_not_count_as_depth(home: DeviceRegistry) -> None:
    light = entity(home, JSON)
    assert parse_state(light, b'{"state": "' + b"[" * 100 + b'"}') == "[" * 100
    assert (
        parse_state(light, b'{"note": "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "state": 1}')
        == "1"
    )


def test_numbers_past_pythons_digit_limit_are_dropped(home: DeviceRegistry) -> None:
    cache = StateCache()
    assert cache.feed(entity(home, JSON), "z/kitchen", b'{"state": 1' + b"1" * 5000 + b"}") is None
    assert cache.get(JSON) is None


def test_a_flood_of_bad_payloads_logs_a_burst_then_one_line_per_interval(
    home: DeviceRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    cache = StateCache(clock=clock)
    light = entity(home, RAW)
    with caplog.at_level(logging.WARNING, logger="edge_os.drivers.mqtt.state"):
        for _ in range(1000):
            cache.feed(light, "stat/kitchen_counter/POWER", b"")
        assert len(warnings(caplog)) == WARNING_BURST
        cache.feed(light, "other/topic", b"")  # another device is not silenced by this one
        assert len(warnings(caplog)) == WARNING_BURST + 1
        clock.now += WARNING_INTERVAL_SECONDS
        cache.feed(light, "stat/kitchen_counter/POWER", b"")
        cache.feed(light, "stat/kitchen_counter/POWER", b"")
    lines = warnings(caplog)
    assert len(lines) == WARNING_BURST + 2
    assert lines[-1].endswith(f"({1000 - WARNING_BURST} more suppressed)")


def test_warning_limiter_refills_over_time() -> None:
    limiter = WarningLimiter(burst=2, interval_seconds=10.0)
    assert [limiter.allow("a", 0.0) for _ in range(4)] == [0, 0, None, None]
    assert limiter.allow("a", 5.0) is None
    assert limiter.allow("a", 10.0) == 3
    assert limiter.allow("a", 10.0) is None


def test_a_megabyte_on_a_real_state_topic_keeps_the_driver_and_the_cache_small(
    mosquitto: EmbeddedBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    device = Subscriber(mosquitto, "nothing/here")
    driver = start_driver(home_config(tmp_path, mosquitto))
    try:
        with caplog.at_level(logging.WARNING, logger="edge_os.drivers.mqtt.state"):
            device.publish("stat/kitchen_counter/POWER", b"x" * 2**20)
            device.publish("stat/kitchen_counter/POWER", "OFF")
            wait_until(lambda: driver.state(RAW) is not None, 5, "a state")
        state = driver.state(RAW)
        assert state is not None and state.state == "OFF"
        assert len(warnings(caplog)) == 1
        assert driver.connection.connected
    finally:
        driver.stop()
        device.close()
