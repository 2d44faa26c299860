"""Each way in asks before a model-only sensitive reading acts; no other way's "yes" confirms."""

# One service on the example home, on a real Mosquitto, with real models (grammar and the
# learned reader; no LLM). "shut the garage" is not in any template: only the learned
# reader understands it (asserted below). The garage door trusts every source here, so
# that each way in can be asked at all; the example home trusts only voice, schedule and
# text. Spoken requests are espeak-ng speech through the VAD, Whisper and the command path,
# after a push-to-talk. `edge-os wyoming` is its own process with its own conversation
# (tests/wyoming/test_wyoming_intent.py); `devices test` names an entity and an action and
# asks through the dispatcher (tests/drivers/test_mqtt_broker_cli.py).

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.pipeline.assistant import Assistant, intent_engine, open_assistant
from edge_os.service.local import LocalRequest, ask, socket_path
from edge_os.service.loop import VoiceService
from edge_os.stages.events import CommandTimed, Event
from tests.intent.embed.conftest import embed_model_dir
from tests.mqtt_broker import Subscriber
from tests.service.conftest import LiveSilence, ServiceThread, service_config
from tests.speech import espeak
from tests.waiting import wait_until

REQUEST = "shut the garage"
GARAGE = "home/garage/door/set"
CLOSE = b"CLOSE"
FRONT_DOOR = "zigbee2mqtt/front_door_lock/set"
ALL_SOURCES = ["voice", "satellite", "schedule", "text", "mqtt", "wyoming"]
__all__ = ["embed_model_dir"]  # the sentence encoder's fixture, reused


@pytest.fixture(scope="module")
def trusting(
    broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory, embed_model_dir: Path
) -> Iterator[Assistant]:
    """The example home whose garage door may be asked for from anywhere."""
    state = tmp_path_factory.mktemp("ways-in")
    (state / "models").mkdir()
    (state / "models" / "intent-embed").symlink_to(embed_model_dir)
    config = service_config(broker, state)
    entities = [
        e.model_copy(update={"sensitive_sources": ALL_SOURCES})
        if e.id == "cover.garage_door"
        else e
        for e in config.entities
    ]
    intent = config.intent.model_copy(update={"confirm_timeout_seconds": 60.0})
    config = config.model_copy(update={"entities": entities, "intent": intent})
    with open_assistant(config, llm=False) as loaded:
        yield loaded


class Home(ServiceThread):
    """A running service and a way to say something through each way in."""

    def __init__(self, assistant: Assistant, broker: EmbeddedBroker) -> None:
        self.assistant = assistant
        self.source = LiveSilence()
        self.events: list[Event] = []
        super().__init__(
            VoiceService(assistant, self.source, on_event=self.events.append, schedule_seconds=0.1)
        )
        self.mqtt = Subscriber(broker, "#", client_id="ways-in-test")
        self.ways: dict[str, Callable[[str], None]] = {
            "voice": self.voice,
            "say": self.say,
            "mqtt": self.control_topic,
            "hermes": self.hermes,
            "schedule": self.schedule,
        }

    def __enter__(self) -> Home:  # type: ignore[override]
        super().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self.mqtt.close()

    def _handled(self) -> int:
        return sum(isinstance(e, CommandTimed) for e in list(self.events))

    def _after(self, send: Callable[[], None], what: str) -> None:
        """Send, then wait until the service has handled one more command."""
        before = self._handled()
        send()
        wait_until(lambda: self._handled() > before, 30, what)

    def voice(self, text: str) -> None:
        """Push-to-talk, then ``text`` spoken."""

        def speak() -> None:
            self.service.push_to_talk()
            self.source.play(espeak(text))

        self._after(speak, f"{text!r} spoken")

    def say(self, text: str) -> None:
        """``edge-os say`` on this machine (the local socket)."""
        path = socket_path(self.assistant.config.state_dir)
        answer = ask(path, LocalRequest(text), timeout_seconds=30)
        assert "report" in answer, answer

    def control_topic(self, text: str) -> None:
        """The MQTT control API."""
        self._after(lambda: self.mqtt.publish("edge_os/home/command", text), f"{text!r} by MQTT")

    def hermes(self, text: str) -> None:
        """A Hermes NLU query for this site."""
        query = json.dumps({"input": text})
        self._after(lambda: self.mqtt.publish("hermes/nlu/query", query), f"{text!r} by Hermes")

    def hermes_elsewhere(self, text: str) -> None:
        """A Hermes NLU query for another site: left to that site."""
        assert self.service.mqtt is not None
        control = self.service.mqtt.control
        before = control.other_site
        query = json.dumps({"input": text, "siteId": "kitchen"})
        self.mqtt.publish("hermes/nlu/query", query)
        wait_until(lambda: control.other_site > before, 10, "the other site's query")

    def schedule(self, text: str) -> None:
        """A delayed command that comes due now."""
        timers = self.assistant.command.timers
        self._after(lambda: timers.start(1, command=text), f"{text!r} scheduled")

    def heard(self) -> list[dict[str, object]]:
        """What the service made of it (for a failing test's message)."""
        kinds = {"transcript", "intent", "action", "answer"}
        return [e.to_dict() for e in list(self.events) if e.type.value in kinds]

    def closed(self) -> bool:
        """Whether the garage door was told to close."""
        return any(m.payload == CLOSE for m in self.mqtt.received(GARAGE))


def test_the_request_is_understood_only_by_the_model(trusting: Assistant) -> None:
    engine = intent_engine(trusting.config, trusting.registry, llm=False)
    reading = engine.recognize(REQUEST)
    assert (reading.intent, reading.targets, reading.path) == (
        "HassTurnOff",
        ("cover.garage_door",),
        "model",
    )


# who asks -> the one way whose yes counts (a delayed command is answered by the person)
ASKERS = {"voice": "voice", "say": "say", "mqtt": "mqtt", "hermes": "mqtt", "schedule": "voice"}


@pytest.mark.parametrize("asker", list(ASKERS))
def test_only_a_yes_from_where_it_was_asked_confirms(
    asker: str, trusting: Assistant, broker: EmbeddedBroker
) -> None:
    with Home(trusting, broker) as home:
        home.ways[asker](REQUEST)
        pending = trusting.command.pending
        assert pending is not None, (asker, home.heard())
        assert not home.closed()
        answerer = ASKERS[asker]
        for way, say_yes in home.ways.items():
            if way == answerer or (answerer == "mqtt" and way == "hermes"):
                continue  # the control topic and Hermes are one source: the broker
            say_yes("yes")
            assert not home.closed(), f"a yes by {way} confirmed a question asked by {asker}"
        if answerer == "mqtt":
            home.hermes_elsewhere("yes")  # another site's yes is that site's
            assert not home.closed()
        assert trusting.command.pending is not None  # the question still stands
        home.ways[answerer]("yes")
        home.mqtt.wait_for(1, GARAGE)
        assert home.closed()


def test_an_apps_sensitive_step_waits_for_a_yes_from_where_it_was_said(
    trusting: Assistant, broker: EmbeddedBroker
) -> None:
    # The good_night app (apps/good-night) turns the lights off and locks the front door.
    with Home(trusting, broker) as home:
        home.say("good night")
        home.mqtt.wait_for(1, "zigbee2mqtt/bedroom_lamp/set")  # the lights went off at once
        assert trusting.command.pending is not None  # the lock asks
        for way in ("voice", "mqtt", "hermes", "schedule"):
            home.ways[way]("yes")
        assert home.mqtt.received(FRONT_DOOR) == []
        home.say("yes")
        assert [m.payload for m in home.mqtt.wait_for(1, FRONT_DOOR)] == [b'{"state": "LOCK"}']
