"""The MQTT driver against a real Mosquitto: round trips, state, outages, restarts."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from edge_os.devices.entity import Action
from edge_os.drivers.mqtt.broker import EmbeddedBroker, free_port
from edge_os.drivers.mqtt.driver import DeliveryReport
from edge_os.drivers.mqtt.queue import CommandQueue, CommandState
from edge_os.drivers.mqtt.state import EntityState, in_loop
from edge_os.stages.outcome import ActionOutcome, ActionRequest, OutcomeStatus
from tests.conftest import REPO
from tests.drivers.helpers import broker_pid, home_config, start_driver
from tests.mqtt_broker import Subscriber
from tests.waiting import wait_until

THERMOSTAT = "climate.living_room_thermostat"
TARGET_TOPIC = "home/living_room/thermostat/target/set"
LAMP = "light.bedroom_lamp"
LAMP_TOPIC = "zigbee2mqtt/bedroom_lamp/set"
LAMP_STATE = "zigbee2mqtt/bedroom_lamp"


def set_point(index: int) -> ActionRequest:
    """A unique command per index (10.0, 10.1, ... degrees)."""
    return ActionRequest(THERMOSTAT, Action.SET_TEMPERATURE, {"temperature": 10 + index / 10})


def expected_payloads(count: int) -> list[bytes]:
    return [str(round(10 + index / 10, 2)).removesuffix(".0").encode() for index in range(count)]


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_command_round_trip_is_done_after_puback(
    mosquitto: EmbeddedBroker, tmp_path: Path, protocol: str
) -> None:
    device = Subscriber(mosquitto, "zigbee2mqtt/#")
    driver = start_driver(home_config(tmp_path, mosquitto, protocol=protocol))
    try:
        request = ActionRequest("light.kitchen_ceiling", Action.SET_BRIGHTNESS, {"brightness": 50})
        outcome = driver.execute(request)
        assert outcome == ActionOutcome(request, OutcomeStatus.DONE)
        [message] = device.wait_for(1, "zigbee2mqtt/kitchen_ceiling/set")
        assert message.payload == b'{"state": "ON", "brightness": 128}'
        assert len(driver.queue) == 0
    finally:
        driver.stop()
        device.close()


def test_availability_online_retained_and_offline_on_stop(
    mosquitto: EmbeddedBroker, tmp_path: Path
) -> None:
    driver = start_driver(home_config(tmp_path, mosquitto))
    late = Subscriber(mosquitto, "edge_os/home/availability", client_id="late")
    [retained] = late.wait_for(1)
    assert (retained.payload, retained.retain) == (b"online", True)
    driver.stop()
    assert late.wait_for(2)[-1].payload == b"offline"
    late.close()


def test_last_will_says_offline_when_edge_os_dies(
    mosquitto: EmbeddedBroker, tmp_path: Path
) -> None:
    watcher = Subscriber(mosquitto, "edge_os/home/availability", client_id="watcher")
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from tests.drivers.helpers import broker_pid, home_config, start_driver\n"
        "from edge_os.drivers.mqtt.broker import EmbeddedBroker\n"
        f"b = EmbeddedBroker({mosquitto.port})\n"
        f"d = start_driver(home_config(Path({str(tmp_path)!r}), b, keepalive_seconds=5))\n"
        "print('up', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "up"
        assert watcher.wait_for(1)[-1].payload == b"online"
        child.kill()  # no clean disconnect: the broker publishes the last will
        child.wait(10)
        assert watcher.wait_for(2)[-1].payload == b"offline"
    finally:
        child.kill()
        watcher.close()


def test_state_topics_feed_the_cache_and_garbage_is_logged_and_ignored(
    mosquitto: EmbeddedBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    device = Subscriber(mosquitto, "nothing/here")
    driver = start_driver(home_config(tmp_path, mosquitto))
    try:
        device.publish("zigbee2mqtt/kitchen_ceiling", '{"state": "ON", "brightness": 200}')
        device.publish("stat/kitchen_counter/POWER", "OFF")
        device.publish("zigbee2mqtt/bedroom_climate_sensor", '{"temperature": 19.5}')
        device.publish("zigbee2mqtt/front_door_contact", '{"contact": true}')
        wait_until(lambda: len(driver.states.snapshot()) == 4, 5, "four states")
        assert {k: v.state for k, v in driver.states.snapshot().items()} == {
            "light.kitchen_ceiling": "ON",
            "light.kitchen_counter": "OFF",
            "sensor.bedroom_temperature": "19.5",
            "binary_sensor.front_door_contact": "on",
        }
        with caplog.at_level(logging.WARNING, logger="edge_os.drivers.mqtt.state"):
            for garbage in (b"not json", b"[1, 2]", b'{"brightness": 3}', b"\xff\xfe", b""):
                device.publish("zigbee2mqtt/kitchen_ceiling", garbage)
            device.publish("zigbee2mqtt/kitchen_ceiling", '{"state": "OFF"}')
            wait_until(lambda: driver.state("light.kitchen_ceiling").state == "OFF", 5, "OFF")  # type: ignore[union-attr]
        ignored = [r for r in caplog.records if "ignoring malformed state" in r.getMessage()]
        assert len(ignored) == 5
        assert driver.connection.connected  # the connection survived all of it
    finally:
        driver.stop()
        device.close()


def test_broker_restart_mid_stream_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """200 commands; the broker stops after about 60 and comes back on the same port."""
    total = 200
    broker = EmbeddedBroker(persistence=True)
    broker.start()
    # the device keeps a persistent session so the broker queues for it across the restart
    device = Subscriber(broker, TARGET_TOPIC, persistent_session=True, client_id="thermostat")
    driver = start_driver(home_config(tmp_path, broker, ack_timeout_seconds=1.0))
    outcomes: list[ActionOutcome] = []

    def produce() -> None:
        for index in range(total):
            outcomes.append(driver.execute(set_point(index)))

    producer = threading.Thread(target=produce)
    try:
        producer.start()
        device.wait_for(60, TARGET_TOPIC)
        broker.stop()
        wait_until(lambda: not driver.connection.connected, 10, "the driver to notice")
        queued_while_down = len(driver.queue)
        broker.start()
        producer.join(60)
        assert driver.wait_drained(30)
        wait_until(
            lambda: len({m.payload for m in device.received(TARGET_TOPIC)}) >= total,
            20,
            "all commands at the device",
        )
        received = device.received(TARGET_TOPIC)
        # a QoS 1 message the broker had sent to the device but not yet seen acknowledged
        # when it stopped is redelivered by the broker itself with the dup flag: that hop
        # is between broker and device. Every command edge-os published arrives once.
        fresh = [m.payload for m in received if not m.dup]
        redelivered = [m.payload for m in received if m.dup]
        assert all(payload in fresh for payload in redelivered)
        assert fresh == expected_payloads(total)
        statuses = {outcome.status for outcome in outcomes}
        assert statuses <= {OutcomeStatus.DONE, OutcomeStatus.QUEUED}
        assert OutcomeStatus.QUEUED in statuses or queued_while_down > 0
        assert driver.connection.connects == 2
    finally:
        driver.stop()
        device.close()
        broker.close()


def test_restarted_edge_os_drains_a_non_empty_queue(tmp_path: Path) -> None:
    port = free_port()
    config = home_config(tmp_path, EmbeddedBroker(port))
    first = start_driver(config, wait_seconds=0.2)  # nothing listens on the port yet
    outcomes = [first.execute(set_point(index)) for index in range(5)]
    assert [o.status for o in outcomes] == [OutcomeStatus.QUEUED] * 5
    assert "will be sent when it is back" in (outcomes[0].reason or "")
    first.stop()  # edge-os exits with five commands on disk
    with EmbeddedBroker(port) as broker:
        device = Subscriber(broker, TARGET_TOPIC)
        second = start_driver(config)  # a new process would build exactly this
        try:
            assert second.wait_drained(10)
            assert [m.payload for m in device.wait_for(5, TARGET_TOPIC)] == expected_payloads(5)
            outcome = second.execute(set_point(5))
            assert outcome.status is OutcomeStatus.DONE
            assert [m.payload for m in device.wait_for(6, TARGET_TOPIC)] == expected_payloads(6)
        finally:
            second.stop()
            device.close()


def test_old_queued_commands_are_dropped_not_sent_late(
    tmp_path: Path, mosquitto: EmbeddedBroker, caplog: pytest.LogCaptureFixture
) -> None:
    config = home_config(tmp_path, EmbeddedBroker(free_port()))
    first = start_driver(config, wait_seconds=0.1)
    assert first.execute(set_point(0)).status is OutcomeStatus.QUEUED
    first.stop()
    device = Subscriber(mosquitto, TARGET_TOPIC)
    fresh = home_config(tmp_path, mosquitto, queue_max_age_seconds=0.001, ack_timeout_seconds=5.0)
    with caplog.at_level(logging.WARNING, logger="edge_os.drivers.mqtt.driver"):
        second = start_driver(fresh)
        try:
            assert second.wait_drained(5)
            assert any("dropping a command" in r.getMessage() for r in caplog.records)
            assert device.received(TARGET_TOPIC) == []
        finally:
            second.stop()
            device.close()


def test_state_updates_are_handed_to_the_event_loop_thread(
    mosquitto: EmbeddedBroker, tmp_path: Path
) -> None:
    device = Subscriber(mosquitto, "nothing/here")
    driver = start_driver(home_config(tmp_path, mosquitto))

    async def scenario() -> tuple[EntityState, threading.Thread]:
        loop = asyncio.get_running_loop()
        arrived: asyncio.Queue[tuple[EntityState, threading.Thread]] = asyncio.Queue()
        driver.states.add_listener(
            in_loop(loop, lambda state: arrived.put_nowait((state, threading.current_thread())))
        )
        await loop.run_in_executor(None, device.publish, "stat/coffee_machine/POWER", "ON")
        return await asyncio.wait_for(arrived.get(), 5)

    try:
        state, thread = asyncio.run(scenario())
        assert (state.entity_id, state.state) == ("switch.coffee_machine", "ON")
        assert thread is threading.main_thread()  # not paho's network thread
    finally:
        driver.stop()
        device.close()


def test_nobody_subscribed_keeps_the_command_queued_until_a_device_listens(
    mosquitto: EmbeddedBroker, tmp_path: Path
) -> None:
    driver = start_driver(home_config(tmp_path, mosquitto, ack_timeout_seconds=0.5))
    reports: list[DeliveryReport] = []
    driver.add_listener(reports.append)
    try:
        outcome = driver.execute(set_point(0))  # MQTT 5: PUBACK 0x10 "No matching subscribers"
        assert outcome.status is OutcomeStatus.QUEUED
        assert f"no device is listening on {TARGET_TOPIC} yet" in (outcome.reason or "")
        assert len(driver.queue) == 1
        device = Subscriber(mosquitto, TARGET_TOPIC)  # the device comes (back)
        assert [m.payload for m in device.wait_for(1, TARGET_TOPIC)] == [b"10"]
        wait_until(lambda: len(driver.queue) == 0, 5, "the queue to drain")
        time.sleep(0.3)
        assert len(device.received(TARGET_TOPIC)) == 1
        assert [r.state for r in reports] == [CommandState.DONE]
        device.close()
    finally:
        driver.stop()


def test_mqtt_311_has_no_reason_codes_so_done_means_the_broker_took_it(
    mosquitto: EmbeddedBroker, tmp_path: Path
) -> None:
    driver = start_driver(home_config(tmp_path, mosquitto, protocol="3.1.1"))
    try:
        # nobody is subscribed, and a 3.1.1 broker cannot say so: this is the documented limit
        assert driver.execute(set_point(0)).status is OutcomeStatus.DONE
        assert len(driver.queue) == 0
    finally:
        driver.stop()


def test_publishing_from_many_threads_while_messages_pour_in_never_deadlocks(
    mosquitto: EmbeddedBroker, tmp_path: Path
) -> None:
    """paho's writes can wait for its network thread: no lock of ours may be held then."""
    device = Subscriber(mosquitto, TARGET_TOPIC)
    driver = start_driver(home_config(tmp_path, mosquitto))
    connection = driver.connection
    deadline = time.monotonic() + 2.0

    def events() -> None:  # QoS 0: paho calls on_publish from the writing thread
        while time.monotonic() < deadline:
            connection.publish("edge_os/home/event/test", b"{}", qos=0)

    def states() -> None:  # keeps the network thread inside our message handler
        while time.monotonic() < deadline:
            device.client.publish("zigbee2mqtt/kitchen_ceiling", '{"state": "ON"}', qos=1)
            time.sleep(0.0005)

    def commands() -> None:
        for index in range(200):
            driver.enqueue(TARGET_TOPIC, str(index).encode(), retain=False, entity_id=THERMOSTAT)
            time.sleep(0.005)

    def subscriptions() -> None:
        for index in range(20):
            connection.subscribe(f"edge_os/home/test/{index}", lambda *args: None)
            time.sleep(0.05)

    workers = [threading.Thread(target=f, daemon=True) for f in (events, states, commands)]
    workers.append(threading.Thread(target=subscriptions, daemon=True))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(15)
    assert not any(worker.is_alive() for worker in workers), "a publisher is stuck"
    assert driver.wait_drained(15)
    stopper = threading.Thread(target=driver.stop, daemon=True)
    stopper.start()
    stopper.join(15)
    assert not stopper.is_alive(), "stop() is stuck"
    assert len(device.wait_for(200, TARGET_TOPIC)) == 200
    device.close()


@pytest.mark.parametrize("retained", [True, False], ids=["retained-state", "no-state"])
def test_a_restarted_edge_os_hears_the_retained_state_before_sending_again(
    tmp_path: Path, mosquitto: EmbeddedBroker, retained: bool
) -> None:
    """edge-os died with a command published and its PUBACK unread; the lamp got it.

    The lamp's state, retained at the broker, shows it. The new process starts with an
    empty state cache: it waits for the retained state (it follows the SUBACK) and does
    not send the command twice. With no state at the broker it sends it again at once.
    """
    config = home_config(tmp_path, mosquitto)
    assert config.mqtt.queue_dir is not None
    queue = CommandQueue(config.mqtt.queue_dir)
    command = queue.push(LAMP_TOPIC, b'{"brightness": 51}', retain=False, entity_id=LAMP)
    queue.sending(command.id)  # published, then edge-os died before reading the PUBACK
    queue.close()
    lamp = Subscriber(mosquitto, LAMP_TOPIC)
    if retained:
        lamp.publish(LAMP_STATE, '{"state": "ON", "brightness": 51}', retain=True)
    started = time.monotonic()
    driver = start_driver(config)
    try:
        assert driver.wait_drained(5)
        took = time.monotonic() - started
        time.sleep(0.3)  # a second copy would come now
        if retained:
            assert lamp.received(LAMP_TOPIC) == []
            assert list(driver.sender.echo_confirmed) == [command.id]
        else:
            assert [m.payload for m in lamp.received(LAMP_TOPIC)] == [command.payload]
            assert list(driver.sender.resent_unconfirmed) == [command.id]
            assert took < 1.0  # no state to wait for: not held for ECHO_WAIT_SECONDS
    finally:
        driver.stop()
        lamp.close()


def test_a_qos0_message_with_the_id_of_a_command_in_flight_is_not_its_answer(
    tmp_path: Path,
) -> None:
    """paho numbers QoS 0 and QoS 1 messages with one counter that wraps at 65535, and calls
    on_publish when a QoS 0 message is written: with a command's PUBACK still to come, an
    event that gets the same id must not be taken for its answer."""
    with EmbeddedBroker() as broker:
        driver = start_driver(home_config(tmp_path, broker))
        connection = driver.connection
        answers: list[object] = []
        try:
            os.kill(broker_pid(broker), signal.SIGSTOP)  # the PUBACK waits
            try:
                mid = connection.publish(
                    TARGET_TOPIC, b"21", qos=1, on_ack=answers.append, resend=False
                )
                # where the counter would be 65535 messages later
                connection._client._last_mid = mid - 1
                assert connection.publish("edge_os/home/event/test", b"{}", qos=0) == mid
                time.sleep(0.2)
                assert answers == []  # the event is not the command's answer
            finally:
                os.kill(broker_pid(broker), signal.SIGCONT)
            wait_until(lambda: len(answers) == 1, 5, "the command's PUBACK")
        finally:
            driver.stop()
