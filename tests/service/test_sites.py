"""Three satellites and a hub, each ``edge-os run`` in its own process, on one Mosquitto.

The satellites hear real speech (espeak) on their stdin in real time, at different
loudness and a few tens of milliseconds apart, as one voice heard in three rooms would
be. The devices are the example home's, watched at the broker.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.pipeline.assistant import open_assistant
from edge_os.service.loop import VoiceService
from edge_os.service.sites import WakeClaim
from tests import speech
from tests.mqtt_broker import Subscriber
from tests.service.conftest import DEMO_WAV, LiveSilence, ServiceThread, service_config
from tests.sites import Heard, SiteProcess, clip_pcm, hub_config, satellite_config
from tests.waiting import wait_until

ROOMS = {"sat-kitchen": "kitchen", "sat-bedroom": "bedroom", "sat-lounge": "living_room"}
LIGHTS = {
    "kitchen": {"zigbee2mqtt/kitchen_ceiling/set", "cmnd/kitchen_counter/POWER"},
    "bedroom": {"zigbee2mqtt/bedroom_lamp/set"},
    "living_room": {"zigbee2mqtt/living_room_lamp/set"},
}
ALL_LIGHTS = set().union(*LIGHTS.values())


class Home:
    """The broker, the hub, three satellites, and everything said on the broker."""

    def __init__(self, folder: Path, broker: EmbeddedBroker) -> None:
        self.log = folder / "sites.log"
        self.watch = Subscriber(broker, "#", client_id="watch")
        self.hub = SiteProcess(hub_config(folder, broker), self.log, microphone=False)
        self.satellites = {
            site: SiteProcess(satellite_config(folder, broker, site, area), self.log,
                              microphone=True)
            for site, area in ROOMS.items()
        }  # fmt: skip
        self.hub.wait_ready()
        for satellite in self.satellites.values():
            satellite.wait_ready()

    def lights(self, since: int = 0) -> list[tuple[str, bytes]]:
        """Commands to the lights after the first ``since`` messages seen."""
        return [
            (m.topic, m.payload) for m in self.watch.received()[since:] if m.topic in ALL_LIGHTS
        ]

    def claims(self, since: int = 0) -> list[WakeClaim]:
        """Wake claims seen after the first ``since`` messages."""
        found = []
        for message in self.watch.received()[since:]:
            if message.topic.endswith("/wake") and message.topic.startswith("edge_os/sat-"):
                claim = WakeClaim.from_payload(message.payload)
                if claim is not None:
                    found.append(claim)
        return found

    def quiet(self, site: str) -> None:
        """Until ``site`` listens for a wake word again (its follow-up window is over)."""
        satellite = self.satellites[site]
        wait_until(lambda: satellite.status().get("state") == "idle", 20, f"{site} to be idle")

    def mark(self) -> int:
        """How many messages were seen so far."""
        return len(self.watch.received())

    def close(self) -> None:
        for satellite in self.satellites.values():
            satellite.stop()
        self.hub.stop()
        self.watch.close()


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    with EmbeddedBroker() as broker:
        place = Home(tmp_path, broker)
        try:
            yield place
        finally:
            place.close()


def _clip(command: str) -> bytes:
    wake = speech.espeak("hey jarvis", "en-gb", 140)
    return clip_pcm(speech.concat(wake, speech.espeak(command, "en-us", 160), gap_seconds=0.3))


def _counts(home: Home, key: str) -> dict[str, int]:
    return {site: int(p.status().get(key, 0)) for site, p in home.satellites.items()}


def test_one_wake_in_three_rooms_one_handler_its_area_its_speaker(
    home: Home, tmp_path: Path
) -> None:
    on = _clip("turn on the lights")
    for satellite, gain, delay in zip(
        home.satellites.values(), (0.5, 1.0, 0.3), (0.0, 0.04, 0.08), strict=True
    ):
        satellite.hear(Heard(on, gain, delay))
    wait_until(lambda: len(home.claims()) == 3, 20, "three wake claims")
    wait_until(lambda: len(home.lights()) > 0, 20, "a light turned on")
    time.sleep(1.5)  # a second handler would act now
    winners = {p.status().get("last_winner") for p in home.satellites.values()}
    assert len(winners) == 1, winners
    winner = winners.pop()
    assert winner == min(home.claims(), key=WakeClaim.rank).site
    assert _counts(home, "handled") == {site: int(site == winner) for site in ROOMS}
    assert sum(_counts(home, "stood_down").values()) == 2
    lights = home.lights()
    assert sorted(topic for topic, _ in lights) == sorted(LIGHTS[ROOMS[winner]]), lights
    # the hub speaks after it acts: on a loaded machine its answer may take a while
    wait_until(lambda: _counts(home, "answers")[winner] > 0, 20, "the winner's answer")
    wait_until((tmp_path / f"{winner}-answer.wav").exists, 20, "the answer played")
    answered = _counts(home, "answers")
    assert sum(answered.values()) == answered[winner], answered
    assert home.hub.status()["role"] == "hub"
    seen = {row["site"]: row["satellite"] for row in home.hub.status()["satellites"]}
    assert all(seen[site]["reconnects"] == 0 for site in ROOMS), seen
    assert all(seen[site]["audio_overflows"] == 0 for site in ROOMS), seen


def test_a_satellite_then_the_hub_die_mid_command_nothing_is_done_twice(home: Home) -> None:
    on = _clip("turn on the lights")
    # the winner dies mid-command: nothing is done; the next command is heard elsewhere
    loud, quiet = "sat-bedroom", "sat-kitchen"
    mark = home.mark()
    home.satellites[loud].hear(Heard(on, 1.0))
    home.satellites[quiet].hear(Heard(on, 0.5, 0.04))
    wait_until(lambda: len(home.claims(mark)) == 2, 20, "two wake claims")
    assert min(home.claims(mark), key=WakeClaim.rank).site == loud
    time.sleep(0.6)  # settled; the bedroom streams the command
    home.satellites[loud].kill()
    time.sleep(4.0)
    assert home.lights(mark) == []  # half a command is never acted on
    assert home.satellites[quiet].status()["last_winner"] == loud
    wait_until(lambda: _online(home, loud) is False, 10, "the hub to see the bedroom go")
    mark = home.mark()
    home.satellites[quiet].hear(Heard(on))
    wait_until(lambda: len(home.lights(mark)) == 2, 20, "the kitchen lights")
    time.sleep(1.0)
    assert sorted(t for t, _ in home.lights(mark)) == sorted(LIGHTS["kitchen"])

    # the hub dies mid-command: that one is done at most once, and the next one is done
    off = _clip("turn off the lights")
    home.quiet(quiet)
    mark = home.mark()
    sent = _counts(home, "commands")[quiet]
    home.satellites[quiet].hear(Heard(off))
    wait_until(lambda: len(home.claims(mark)) == 1, 20, "the kitchen's wake")
    time.sleep(0.5)
    home.hub.kill()
    wait_until(lambda: _counts(home, "commands")[quiet] == sent + 1, 20, "the end of it")
    home.hub.restart()
    home.hub.wait_ready()
    time.sleep(2.0)
    done = [t for t, _ in home.lights(mark)]
    assert len(done) == len(set(done)), done  # nothing twice
    home.quiet(quiet)
    mark = home.mark()
    home.satellites[quiet].hear(Heard(off))
    wait_until(lambda: len(home.lights(mark)) == 2, 30, "the kitchen lights, off")
    time.sleep(1.0)
    assert sorted(t for t, _ in home.lights(mark)) == sorted(LIGHTS["kitchen"])
    assert all(b"OFF" in payload.upper() for _, payload in home.lights(mark))


def _online(home: Home, site: str) -> bool | None:
    for row in home.hub.status().get("satellites") or []:
        if row["site"] == site:
            online = row["online"]
            return None if online is None else bool(online)
    return None


def test_two_whole_edge_os_on_one_broker_act_once(tmp_path: Path) -> None:
    """Two ``full`` sites hear one "hey jarvis, turn on the kitchen light": one acts."""
    with EmbeddedBroker() as broker, ExitStack() as stack:
        light = Subscriber(broker, "zigbee2mqtt/kitchen_ceiling/set", client_id="light")
        stack.callback(light.close)
        services = {}
        for site in ("near", "far"):
            config = service_config(broker, tmp_path / site)
            config = config.model_copy(
                update={"site": config.site.model_copy(update={"id": f"site-{site}"})}
            )
            assistant = stack.enter_context(open_assistant(config, llm=False))
            source = LiveSilence()
            services[site] = (VoiceService(assistant, source), source)
        for service, _ in services.values():
            stack.enter_context(ServiceThread(service))
        services["near"][1].play(DEMO_WAV, 1.0)
        services["far"][1].play(DEMO_WAV, 0.3)
        light.wait_for(1, timeout_seconds=20)
        time.sleep(1.5)  # the other site would act now
        assert [m.payload for m in light.received()] == [b'{"state": "ON"}']
        near, far = services["near"][0], services["far"][0]
        assert (near.stood_down, far.stood_down) == (0, 1)
        assert near.status()["metrics"]["actions"] == 1


def test_a_question_asked_in_one_room_is_answered_only_from_there(home: Home) -> None:
    """The front door is sensitive: the hub asks the kitchen, and only the kitchen's "yes"
    unlocks it. After an answer, the kitchen's next words need no wake word."""
    lock = "zigbee2mqtt/front_door_lock/set"
    kitchen, bedroom = home.satellites["sat-kitchen"], home.satellites["sat-bedroom"]

    def unlocked() -> list[bytes]:
        return [m.payload for m in home.watch.received()[mark:] if m.topic == lock]

    mark = home.mark()
    asked = _counts(home, "answers")
    kitchen.hear(Heard(_clip("unlock the front door")))
    wait_until(
        lambda: _counts(home, "answers")["sat-kitchen"] > asked["sat-kitchen"], 20, "a question"
    )
    bedroom.hear(Heard(_clip("yes")))  # the kitchen, listening for a follow-up, stands down
    wait_until(
        lambda: _counts(home, "answers")["sat-bedroom"] > asked["sat-bedroom"], 20, "a reply"
    )
    assert unlocked() == []
    kitchen.hear(Heard(_clip("yes")))
    wait_until(lambda: unlocked() != [], 20, "the front door to unlock")
    follow_ups = _counts(home, "follow_ups")["sat-kitchen"]
    wait_until(lambda: _counts(home, "follow_ups")["sat-kitchen"] > follow_ups, 20, "a follow-up")
    kitchen.hear(Heard(clip_pcm(speech.espeak("turn off the lights", "en-us", 160))))
    wait_until(lambda: len(home.lights(mark)) == 2, 20, "the kitchen lights, off")
    time.sleep(1.0)
    assert unlocked() == [b'{"state": "UNLOCK"}']
    assert sorted(t for t, _ in home.lights(mark)) == sorted(LIGHTS["kitchen"])
    assert _counts(home, "stood_down")["sat-kitchen"] >= 1
