"""``edge-os run`` and Home Assistant: discovery, the wake-word select, imports, Hermes sites.

The service runs on live silence against a real Mosquitto; "Home Assistant" and the other
devices are plain MQTT clients publishing what theirs do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from edge_os.drivers.discovery.publish import discovery_messages
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.pipeline.assistant import Assistant, open_assistant
from edge_os.service.homeassistant import WakeWordSetting
from edge_os.service.loop import VoiceService
from tests.mqtt_broker import Subscriber
from tests.service.conftest import LiveSilence, ServiceThread, service_config
from tests.waiting import wait_until

BASE = "edge_os/home"
PORCH_HEATER = {
    "name": "Heater",
    "command_topic": "porch/heater/set",
    "device": {"identifiers": ["porch"], "name": "Porch", "suggested_area": "Garden"},
}


@pytest.fixture(scope="module")
def assistant(
    broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Assistant]:
    """The example home importing discovered devices; no voice (answers are not played)."""
    config = service_config(broker, tmp_path_factory.mktemp("state"))
    discovery = config.mqtt.discovery.model_copy(update={"import_entities": True})
    config = config.model_copy(
        update={"mqtt": config.mqtt.model_copy(update={"discovery": discovery})}
    )
    with open_assistant(config, llm=False, speak=False) as loaded:
        yield loaded


class Running(ServiceThread):
    """``edge-os run`` in a thread, on live silence."""

    def __init__(self, assistant: Assistant) -> None:
        super().__init__(VoiceService(assistant, LiveSilence()))


@pytest.fixture
def ha(broker: EmbeddedBroker) -> Iterator[Subscriber]:
    """Home Assistant (and the devices it knows), subscribed to everything."""
    client = Subscriber(broker, "#", client_id="home-assistant")
    yield client
    client.close()


def configs(ha: Subscriber) -> dict[str, dict[str, object]]:
    return {
        m.topic: json.loads(m.payload)
        for m in ha.received()
        if m.topic.startswith("homeassistant/") and m.topic.endswith("/config") and m.payload
    }


def test_run_announces_its_entities_at_start(assistant: Assistant, ha: Subscriber) -> None:
    with Running(assistant):
        expected = set(discovery_messages(assistant.config))
        wait_until(lambda: expected <= configs(ha).keys(), 10, "six discovery configs")
    areas = {c["device"]["suggested_area"] for c in configs(ha).values()}  # type: ignore[index]
    assert areas == {"Living room"}


def test_announces_again_when_home_assistant_comes_online(
    assistant: Assistant, ha: Subscriber
) -> None:
    with Running(assistant):
        topic = "homeassistant/switch/edge_os_home/mute/config"
        first = len(ha.wait_for(1, topic))
        ha.publish("homeassistant/status", "online")
        again = ha.wait_for(first + 1, topic)
    assert json.loads(again[-1].payload)["command_topic"] == f"{BASE}/mute/set"


def test_the_last_command_sensor_shows_text_commands(
    assistant: Assistant, ha: Subscriber, broker: EmbeddedBroker
) -> None:
    with Running(assistant):
        ha.publish(f"{BASE}/command", "turn on the coffee machine")
        ha.wait_for(1, f"{BASE}/transcript")
    later = Subscriber(broker, f"{BASE}/transcript", client_id="home-assistant-restarted")
    try:
        kept = later.wait_for(1)[0]
    finally:
        later.close()
    assert (kept.payload, kept.retain) == (b"turn on the coffee machine", True)


def test_the_last_answer_sensor_has_the_answer_and_intent(
    assistant: Assistant, ha: Subscriber
) -> None:
    with Running(assistant):
        ha.publish(f"{BASE}/command", "turn off the coffee machine")

        def answers() -> list[dict[str, object]]:
            found = [json.loads(m.payload) for m in ha.received(f"{BASE}/answer")]
            return [a for a in found if a["command"] == "turn off the coffee machine"]

        wait_until(lambda: bool(answers()), 10, "the answer")
        answer = answers()[0]
    assert answer == {
        "answer": "Turned off the coffee machine.",
        "intent": "HassTurnOff",
        "command": "turn off the coffee machine",
        "targets": ["switch.coffee_machine"],
    }


def choose(service: VoiceService, ha: Subscriber, word: str) -> None:
    ha.publish(f"{BASE}/wake_word/set", word)
    wait_until(lambda: service.wake.word == word, 10, f"the wake word {word}")


def test_the_wake_word_select_changes_what_is_listened_for(
    assistant: Assistant, ha: Subscriber
) -> None:
    assert assistant.frontend is not None
    with Running(assistant) as service:
        assert ha.wait_for(1, f"{BASE}/wake_word")[-1].payload == b"hey_jarvis"
        choose(service, ha, "alexa")
        listening = assistant.frontend.wake.names

        def shown() -> bytes:
            messages = ha.received(f"{BASE}/wake_word")
            return messages[-1].payload if messages else b""

        # the state may be published more than once (every announce sends it again): the
        # latest one is what Home Assistant shows
        wait_until(lambda: shown() == b"alexa", 10, "alexa as the wake word's state")
        choose(service, ha, "hey_jarvis")  # back, for the other tests
    assert listening == ["alexa"]


def test_the_chosen_wake_word_survives_a_restart(assistant: Assistant, ha: Subscriber) -> None:
    with Running(assistant) as service:
        choose(service, ha, "hey_mycroft")
    saved = json.loads((assistant.config.state_dir / "wake_word.json").read_text())
    assert assistant.frontend is not None  # as a new process builds it from the config:
    assistant.frontend.wake = WakeWordSetting(assistant.config).detector("hey_jarvis")
    with Running(assistant) as service:
        wait_until(lambda: service.wake.word == "hey_mycroft", 10, "the saved wake word")
        listening = assistant.frontend.wake.names
        choose(service, ha, "hey_jarvis")  # back, for the other tests
    assert (saved["wake_word"], listening) == ("hey_mycroft", ["hey_mycroft"])


def test_an_unknown_wake_word_changes_nothing(assistant: Assistant, ha: Subscriber) -> None:
    with Running(assistant) as service:
        ha.wait_for(1, f"{BASE}/wake_word")
        ha.publish(f"{BASE}/wake_word/set", "ok_computer")
        states = ha.wait_for(2, f"{BASE}/wake_word")  # the real one, published again
    assert (states[-1].payload, service.wake.word) == (b"hey_jarvis", "hey_jarvis")


def test_an_announced_device_is_driven_by_a_text_command(
    assistant: Assistant, ha: Subscriber
) -> None:
    with Running(assistant) as service:
        assert service.mqtt is not None
        link = service.mqtt.homeassistant
        ha.publish("homeassistant/switch/porch/heater/config", json.dumps(PORCH_HEATER), True)
        wait_until(lambda: link.rebuilds >= 1, 10, "the registry with the porch heater")
        ha.publish(f"{BASE}/command", "turn on the porch heater")
        sent = ha.wait_for(1, "porch/heater/set")
    assert sent[0].payload == b"ON"
    assert assistant.registry["switch.porch_heater"].area == "garden"
    saved = json.loads((assistant.config.state_dir / "discovery" / "imported.json").read_text())
    assert list(saved["configs"]) == ["homeassistant/switch/porch/heater/config"]  # for `say`


def test_a_hermes_query_for_another_site_is_left_to_it(
    assistant: Assistant, ha: Subscriber
) -> None:
    with Running(assistant) as service:
        assert service.mqtt is not None
        control = service.mqtt.control
        query = {"input": "turn on the coffee machine", "siteId": "kitchen"}
        ha.publish("hermes/nlu/query", json.dumps(query))
        ha.publish("hermes/tts/say", json.dumps({"text": "hello", "siteId": "kitchen"}))
        wait_until(lambda: control.other_site == 2, 5, "both left alone")
        ha.publish("hermes/nlu/query", json.dumps({**query, "siteId": "home"}))
        sent = ha.wait_for(1, "cmnd/coffee_machine/POWER")
    assert [m.payload for m in sent] == [b"ON"]
    assert ha.received("hermes/tts/sayFinished") == []
