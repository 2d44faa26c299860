"""Apps: "good night" does exactly what it declared, and an app can never do more."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from edge_os.apps.book import AppBook
from edge_os.config.loader import load_config
from edge_os.devices.registry import DeviceRegistry
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.pipeline.assistant import open_assistant
from edge_os.stages.events import Event
from tests.conftest import EXAMPLE_HOME, REPO
from tests.drivers.helpers import home_config
from tests.mqtt_broker import Subscriber
from tests.waiting import wait_until

APPS = REPO / "apps"


def _write_app(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "app.yaml").write_text(text, encoding="utf-8")
    return folder


def test_good_night_does_exactly_what_it_declared(tmp_path: Path) -> None:
    with EmbeddedBroker() as broker:
        config = home_config(tmp_path, broker)
        assert config.apps.paths  # the example home lists ../apps
        devices = Subscriber(broker, "#", client_id="every-device")
        try:
            with open_assistant(config, listen=False, speak=False, llm=False) as assistant:
                command = assistant.command
                events: list[Event] = []
                report = command.handle_text("hey jarvis, I'm going to bed", events.append)

                def published_now() -> set[tuple[str, str]]:
                    return {(m.topic, m.payload.decode()) for m in devices.received()
                            if not m.topic.startswith("edge_os/")}  # fmt: skip

                wait_until(lambda: len(published_now()) >= 5, 10, "five devices told")
                time.sleep(0.3)  # anything more would have come now
                published = published_now()
                assert published == {
                    ("zigbee2mqtt/kitchen_ceiling/set", '{"state": "OFF"}'),
                    ("cmnd/kitchen_counter/POWER", "OFF"),
                    ("zigbee2mqtt/living_room_lamp/set", '{"state": "OFF"}'),
                    ("zigbee2mqtt/bedroom_lamp/set", '{"state": "OFF"}'),
                    ("home/living_room/thermostat/target/set", "17"),
                }, published
                # the desk light is on GPIO; the lock is sensitive: it waits for a yes
                assert assistant.gpio is not None
                assert assistant.gpio.state("light.desk_led") == "off"
                assert [(o.request.entity_id, o.status.value) for o in report.outcomes][-1] == (
                    "lock.front_door",
                    "needs-confirmation",
                )
                assert report.answer == (
                    "Turned off 5 lights. Set the thermostat to 17 degrees. "
                    "Do you want me to lock the front door?"
                )
                command.handle_text("yes", events.append, source="mqtt")  # not where asked
                time.sleep(0.3)
                assert not devices.received("zigbee2mqtt/front_door_lock/set")
                done = command.handle_text("yes", events.append)
                assert [o.status.value for o in done.outcomes] == ["done"]
                assert [m.payload for m in devices.wait_for(1, "zigbee2mqtt/front_door_lock/set")
                        ] == [b'{"state": "LOCK"}']  # fmt: skip
                garage = devices.received("zigbee2mqtt/garage_light/set") + devices.received(
                    "cmnd/garage_light/POWER"
                )
                assert garage == []  # not declared by the app: never touched
        finally:
            devices.close()


def test_movie_time_answers_with_its_response(tmp_path: Path) -> None:
    with EmbeddedBroker() as broker:
        config = home_config(tmp_path, broker)
        devices = Subscriber(broker, "#", client_id="every-device")
        try:
            with open_assistant(config, listen=False, speak=False, llm=False) as assistant:
                report = assistant.command.handle_text("movie night", lambda _e: None)
                assert [o.status.value for o in report.outcomes] == ["done"] * 3
                assert report.answer == "Enjoy the film."
                assert report.result is not None and report.result.path == "app"
        finally:
            devices.close()


@pytest.fixture
def registry() -> DeviceRegistry:
    return DeviceRegistry.from_config(load_config(EXAMPLE_HOME))


def _book(folder: Path, registry: DeviceRegistry, **kwargs: Any) -> AppBook:
    return AppBook.load([folder, APPS], registry, **kwargs)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "name: sneaky\nsentences: [open sesame]\n"
            "permissions: [{entities: [light.kitchen_ceiling], actions: [turn_on]}]\n"
            "steps: [{action: unlock, entity: lock.front_door}]\n",
            "unlock on lock.front_door is not in the app's permissions",
        ),
        (
            "name: clash\nsentences: [turn off the lights]\n"
            "permissions: [{entities: ['light.*'], actions: [turn_off]}]\n"
            "steps: [{action: turn_off, domain: light}]\n",
            "is already a built-in sentence",
        ),
        (
            "name: nothing\nsentences: [do the thing]\n"
            "permissions: [{entities: [light.nope], actions: [turn_on]}]\n"
            "steps: [{action: turn_on, entity: light.nope}]\n",
            "there is no entity light.nope",
        ),
        (
            "name: loud\nsentences: [party]\n"
            "permissions: [{entities: ['media_player.*'], actions: [set_volume]}]\n"
            "steps: [{action: set_volume, entity: media_player.living_room_speaker, "
            "params: {volume: 400}}]\n",
            "volume must be between 0 and 100",
        ),
        ("name: bomb\nsentences: &a [x]\nsteps: *a\n", "aliases are not allowed"),
        (
            "name: both\nsentences: [blink twice]\n"
            "steps: [{action: turn_on, entity: light.bedroom_lamp, wait: 3}]\n",
            "a step is one of: an action, a say, a wait",
        ),
        ("name: [broken\n", "invalid YAML"),
    ],
)
def test_an_app_that_would_overstep_is_off_and_the_others_run(
    tmp_path: Path, registry: DeviceRegistry, text: str, problem: str
) -> None:
    from edge_os.intent.engine import build_engine

    config = load_config(EXAMPLE_HOME)
    grammar = build_engine(registry, config.intent, config.site.area).grammar
    _write_app(tmp_path / "apps" / "bad", text)
    book = _book(tmp_path / "apps", registry, understands=lambda t: grammar.recognize(t).understood)
    bad = [app for app in book.apps if app.folder.name == "bad"]
    assert len(bad) == 1 and bad[0].problem is not None and problem in bad[0].problem
    assert not bad[0].active
    assert book.read("good night", registry).result.understood  # the others still load
    if bad[0].spec is not None:
        for sentence in bad[0].spec.sentences:
            reading = book.read(sentence, registry)
            assert reading.requests == [] or reading.result.slots.get("app") != bad[0].name


def test_a_domain_step_takes_only_the_declared_entities(
    tmp_path: Path, registry: DeviceRegistry
) -> None:
    _write_app(
        tmp_path / "apps" / "bedside",
        "name: bedside\nsentences: [reading time]\n"
        "permissions: [{entities: [light.bedroom_lamp], actions: [turn_on]}]\n"
        "steps: [{action: turn_on, domain: light}]\n",
    )
    book = _book(tmp_path / "apps", registry)
    reading = book.read("Reading time!", registry)
    assert reading.result.intent == "app.bedside"
    assert [(r.entity_id, r.action.value) for r in reading.requests] == [
        ("light.bedroom_lamp", "turn_on")
    ]


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_os", "-c", str(config), "apps", *args],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_the_apps_command(tmp_path: Path) -> None:
    config = tmp_path / "home.yaml"
    config.write_text(
        EXAMPLE_HOME.read_text(encoding="utf-8").replace("paths: [../apps]", f"paths: [{APPS}]"),
        encoding="utf-8",
    )
    listed = _cli(config, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    states = {app["name"]: app["state"] for app in json.loads(listed.stdout)["apps"]}
    assert states == {"good_night": "on", "movie_time": "on", "set_the_mood": "on"}
    tried = _cli(config, "test", "good night", "--json")
    assert json.loads(tried.stdout)["app"] == "good_night"
    assert _cli(config, "test", "turn on the kitchen light").returncode == 1
    off = _cli(config, "disable", "movie_time")
    assert off.returncode == 0, off.stderr
    assert "# An example home" in config.read_text(encoding="utf-8")  # comments kept
    listed = _cli(config, "list", "--json")
    states = {app["name"]: app["state"] for app in json.loads(listed.stdout)["apps"]}
    assert states["movie_time"] == "disabled"
    assert _cli(config, "test", "movie night").returncode == 1
    unknown = _cli(config, "enable", "nope")
    assert unknown.returncode == 2 and "no app called 'nope'" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_a_handler_decides_by_the_hour(registry: DeviceRegistry) -> None:
    book = AppBook.load([APPS], registry)
    evening = datetime(2026, 11, 29, 20, 30, tzinfo=UTC)
    reading = book.read("make it cozy in here", registry, now=evening)
    assert [(r.entity_id, r.action.value, dict(r.params)) for r in reading.requests] == [
        ("light.living_room_lamp", "set_brightness", {"brightness": 50})
    ]
    assert reading.say == "The floor lamp is at 50 percent for the evening."
    night = book.read("set the mood", registry, now=evening.replace(hour=3))
    assert night.requests[0].params == {"brightness": 15}


HANDLED = (
    "name: handled\nsentences: ['play {mood} music']\nlists: {mood: [calm, loud]}\n"
    "permissions: [{entities: [light.bedroom_lamp], actions: [turn_on]}]\n"
    "handler: handler.py\n"
)


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("def handle(request):\n    raise RuntimeError('oops')\n", "raised RuntimeError: oops"),
        ("import time\ndef handle(request):\n    time.sleep(30)\n", "took longer than 2 s"),
        (
            "from edge_os.apps.sdk import Act, AppReply\n"
            "def handle(request):\n"
            "    return AppReply([Act('light.bedroom_lamp', 'turn_on'),\n"
            "                     Act('lock.front_door', 'unlock')])\n",
            "unlock on lock.front_door is not in the app's permissions",
        ),
        ("def handle(request):\n    return 'yes'\n", "returned str, not an AppReply"),
    ],
)
def test_a_handler_that_fails_or_oversteps_turns_its_app_off(
    tmp_path: Path, registry: DeviceRegistry, code: str, problem: str
) -> None:
    folder = _write_app(tmp_path / "apps" / "handled", HANDLED)
    (folder / "handler.py").write_text(code, encoding="utf-8")
    book = _book(tmp_path / "apps", registry)
    reading = book.read("play calm music", registry)
    assert reading.requests == []  # nothing of a refused reply is done, not even the lamp
    assert reading.say == "Sorry, handled failed, so I turned it off."
    app = book.get("handled")
    assert app is not None and app.problem is not None and problem in app.problem
    assert not book.read("play calm music", registry).result.understood  # off now
    assert book.read("good night", registry).result.understood  # the others run on


def test_a_handler_gets_the_slots_and_only_declared_states(
    tmp_path: Path, registry: DeviceRegistry
) -> None:
    folder = _write_app(tmp_path / "apps" / "handled", HANDLED)
    (folder / "handler.py").write_text(
        "from edge_os.apps.sdk import Act, AppReply\n"
        "def handle(request):\n"
        "    seen = (request.state('light.bedroom_lamp'), request.state('lock.front_door'))\n"
        "    return AppReply([Act('light.bedroom_lamp', 'turn_on')],\n"
        "                    say=f\"{request.slots['mood']} {seen}\")\n",
        encoding="utf-8",
    )
    book = _book(tmp_path / "apps", registry)
    reading = book.read("play loud music", registry, state=lambda _entity: "on")
    assert reading.say == "loud ('on', None)"
    assert [r.entity_id for r in reading.requests] == ["light.bedroom_lamp"]


def test_a_handler_that_cannot_be_imported_keeps_its_app_off(
    tmp_path: Path, registry: DeviceRegistry
) -> None:
    folder = _write_app(tmp_path / "apps" / "handled", HANDLED)
    (folder / "handler.py").write_text("import no_such_module\n", encoding="utf-8")
    app = _book(tmp_path / "apps", registry).get("handled")
    assert app is not None and app.problem is not None
    assert "ModuleNotFoundError" in app.problem


def test_install_shows_permissions_asks_and_remove_deletes(tmp_path: Path) -> None:
    installed = tmp_path / "installed"
    config = tmp_path / "home.yaml"
    config.write_text(
        EXAMPLE_HOME.read_text(encoding="utf-8").replace(
            "paths: [../apps]", f"paths: [{installed}]"
        ),
        encoding="utf-8",
    )
    source = _write_app(
        tmp_path / "download" / "reading",
        "name: reading\ndescription: Bedside lamp on.\nsentences: [reading time]\n"
        "permissions: [{entities: [light.bedroom_lamp], actions: [turn_on]}]\n"
        "steps: [{action: turn_on, entity: light.bedroom_lamp}]\n",
    )
    refused = _cli(config, "install", str(source))  # no terminal to ask in, no --yes
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert "may: turn_on on light.bedroom_lamp" in refused.stdout
    assert not (installed / "reading").exists()
    done = _cli(config, "install", str(source), "--yes")
    assert done.returncode == 0, done.stderr
    assert json.loads(_cli(config, "test", "reading time", "--json").stdout)["app"] == "reading"
    again = _cli(config, "install", str(source), "--yes")
    assert again.returncode == 2 and "is installed" in again.stderr
    clash = _write_app(
        tmp_path / "download" / "clash",
        "name: clash\nsentences: [turn on the kitchen light]\n"
        "permissions: [{entities: [light.kitchen_ceiling], actions: [turn_on]}]\n"
        "steps: [{action: turn_on, entity: light.kitchen_ceiling}]\n",
    )
    refused = _cli(config, "install", str(clash), "--yes")
    assert refused.returncode == 2 and "clash" in refused.stderr
    assert not (installed / "clash").exists()
    gone = _cli(config, "remove", "reading", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert not (installed / "reading").exists()
    for result in (refused, again, gone):
        assert "Traceback" not in result.stderr


def test_steps_after_a_wait_run_from_the_durable_schedule(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    _write_app(
        apps / "blink",
        "name: blink\nsentences: [blink the bedside lamp]\n"
        "permissions: [{entities: [light.bedroom_lamp], actions: [turn_on, turn_off]}]\n"
        "steps:\n"
        "  - {action: turn_on, entity: light.bedroom_lamp}\n"
        "  - {say: On it.}\n"
        "  - {wait: 1}\n"
        "  - {action: turn_off, entity: light.bedroom_lamp}\n"
        "response: Blinked.\n",
    )
    with EmbeddedBroker() as broker:
        config = home_config(tmp_path, broker)
        config = config.model_copy(
            update={"apps": config.apps.model_copy(update={"paths": [apps]})}
        )
        devices = Subscriber(broker, "zigbee2mqtt/bedroom_lamp/set", client_id="lamp")
        try:
            with open_assistant(config, listen=False, speak=False, llm=False) as assistant:
                command = assistant.command
                first = command.handle_text("blink the bedside lamp", lambda _e: None)
                assert first.answer == "On it."
                assert [m.payload for m in devices.wait_for(1)] == [b'{"state": "ON"}']
                [(job, _due)] = command.timers.running()
                assert job.command == "continue blink from step 4"
                time.sleep(1.2)
                due = command.timers.take_due()
                [(fired, late)] = due.run
                later = command.handle_timer(fired, lambda _e: None, late_seconds=late)
                assert later.answer == "Blinked."
                assert [m.payload for m in devices.wait_for(2)][-1] == b'{"state": "OFF"}'
        finally:
            devices.close()
