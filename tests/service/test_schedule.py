"""Timers and delayed commands in the running service, against a real Mosquitto.

The timer table is a real SQLite file in ``tmp_path`` on a wall clock the test moves; the
service's own loop takes the due jobs, so a job fires exactly as it would in ``edge-os run``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from edge_os.cli.main import main
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.pipeline.assistant import Assistant
from edge_os.scheduler.timers import TimerTable
from edge_os.service.loop import VoiceService
from edge_os.stages.events import Event
from tests.conftest import EXAMPLE_HOME
from tests.mqtt_broker import Subscriber
from tests.service.conftest import LiveSilence, ServiceThread
from tests.waiting import wait_until


class WallClock:
    """A wall clock the test moves by hand (read from the loop and the worker thread)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def wait(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Running(ServiceThread):
    """The service on live silence in a thread, over the assistant's timer table."""

    def __init__(self, assistant: Assistant, timers: TimerTable) -> None:
        self.events: list[Event] = []
        self.timers = timers
        self.assistant = assistant
        service = VoiceService(
            assistant, LiveSilence(), on_event=self.events.append, schedule_seconds=0.05
        )
        super().__init__(service)

    def __enter__(self) -> Running:  # type: ignore[override]
        super().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self.timers.close()

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e.to_dict() for e in list(self.events) if e.type.value == kind]


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def running(
    assistant: Assistant, tmp_path: Path, clock: WallClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Running]:
    # the table is the assistant's before the service starts: its schedule runner holds it
    monkeypatch.setattr(assistant.command, "timers", TimerTable.open(tmp_path, clock))
    with Running(assistant, assistant.command.timers) as service:
        yield service


def _jobs(subscriber: Subscriber) -> list[dict[str, Any]]:
    """The last schedule published."""
    messages = subscriber.received("edge_os/home/schedule")
    assert messages, "no schedule published"
    jobs = json.loads(messages[-1].payload)["jobs"]
    assert isinstance(jobs, list)
    return jobs


def test_the_durable_table_opens_under_the_state_dir(assistant: Assistant) -> None:
    store = assistant.command.timers.store
    assert store.path == assistant.config.state_dir / "schedule.sqlite3"
    assert store.path.is_file()


def test_a_delayed_command_fires_from_the_loop(
    running: Running, clock: WallClock, broker: EmbeddedBroker
) -> None:
    subscriber = Subscriber(broker, "#", client_id="schedule-fire-test")
    try:
        subscriber.publish("edge_os/home/command", "turn on the coffee machine in 5 minutes")
        wait_until(lambda: bool(_jobs_or_none(subscriber)), 20, "the job")
        (job,) = _jobs(subscriber)
        assert (job["kind"], job["command"], job["seconds"]) == (
            "command",
            "turn on the coffee machine",
            300,
        )
        late_joiner = Subscriber(broker, "edge_os/home/schedule", client_id="schedule-retained")
        retained = late_joiner.wait_for(1)[0]
        late_joiner.close()
        assert retained.retain and json.loads(retained.payload)["jobs"] == [job]
        assert subscriber.received("cmnd/coffee_machine/POWER") == []
        clock.wait(minutes=5)
        assert subscriber.wait_for(1, "cmnd/coffee_machine/POWER")[0].payload == b"ON"
        finished = json.loads(
            subscriber.wait_for(1, "edge_os/home/event/timer-finished")[0].payload
        )
        assert finished["command"] == "turn on the coffee machine"
        assert finished["timer_id"] == job["id"]
        assert finished["expired"] is False
        wait_until(lambda: _jobs_or_none(subscriber) == [], 20, "no jobs")
    finally:
        subscriber.close()


def _jobs_or_none(subscriber: Subscriber) -> list[dict[str, Any]] | None:
    messages = subscriber.received("edge_os/home/schedule")
    return json.loads(messages[-1].payload)["jobs"] if messages else None


def test_a_finished_timer_is_announced(
    running: Running, clock: WallClock, broker: EmbeddedBroker
) -> None:
    subscriber = Subscriber(broker, "edge_os/home/event/#", client_id="schedule-done-test")
    try:
        subscriber.publish("edge_os/home/command", "set a timer named pizza for 1 minute")
        wait_until(lambda: bool(running.timers.running()), 20, "the timer")
        clock.wait(minutes=1)
        wait_until(
            lambda: any(a["text"] == "The pizza timer is done." for a in running.of_type("answer")),
            20,
            "the pizza timer's answer",
        )
        spoken = next(
            a for a in running.of_type("answer") if a["text"] == "The pizza timer is done."
        )
        assert spoken["first_audio_ms"] is not None  # said through the voice and player
        (finished,) = running.of_type("timer-finished")
        assert (finished["name"], finished["command"], finished["seconds"]) == ("pizza", None, 60)
        payload = subscriber.wait_for(1, "edge_os/home/event/timer-finished")[0].payload
        assert json.loads(payload)["name"] == "pizza"
    finally:
        subscriber.close()


def test_a_delayed_sensitive_action_still_waits_for_yes(
    running: Running, clock: WallClock, broker: EmbeddedBroker
) -> None:
    subscriber = Subscriber(broker, "zigbee2mqtt/front_door_lock/set", client_id="schedule-yes")
    try:
        subscriber.publish("edge_os/home/command", "in 2 minutes unlock the front door")
        wait_until(lambda: bool(running.timers.running()), 20, "the timer")
        clock.wait(minutes=2)
        wait_until(lambda: bool(running.of_type("timer-finished")), 20, "the timer")
        wait_until(
            lambda: any(a["status"] == "needs-confirmation" for a in running.of_type("action")),
            20,
            "the question",
        )
        assert subscriber.received() == []  # never carried out silently
        answers = len(running.of_type("answer"))
        subscriber.publish("edge_os/home/command", "yes")  # the question is for a voice
        wait_until(lambda: len(running.of_type("answer")) > answers, 20, "an answer")
        assert subscriber.received() == []
        assert running.service.assistant.command.pending is not None  # still asked, by voice
    finally:
        subscriber.close()


def test_schedule_over_mqtt_lists_cancels_and_rejects_garbage(
    running: Running, clock: WallClock, broker: EmbeddedBroker
) -> None:
    subscriber = Subscriber(broker, "#", client_id="schedule-control-test")
    assert running.service.mqtt is not None
    control = running.service.mqtt.control
    try:
        running.timers.start(600, command="turn off the lights", area="living_room")
        pizza = running.timers.start(300, "pizza")
        wait_until(lambda: len(_jobs_or_none(subscriber) or []) == 2, 20, "two jobs")
        before = len(subscriber.received("edge_os/home/schedule"))
        subscriber.publish("edge_os/home/schedule/list", "")
        wait_until(
            lambda: len(subscriber.received("edge_os/home/schedule")) > before, 20, "the list"
        )
        assert [job["name"] for job in _jobs(subscriber)] == [None, "pizza"]

        rejected = control.rejected
        for garbage in (b"\xff\xfe", b"{nope", b'{"id": "x"}', b"-3", b"true", b"1.5", b"[1]"):
            subscriber.publish("edge_os/home/schedule/cancel", garbage)
        wait_until(lambda: control.rejected == rejected + 7, 20, "seven rejections")
        subscriber.publish("edge_os/home/schedule/cancel", "99999")  # no such job: logged
        subscriber.publish("edge_os/home/schedule/cancel", json.dumps({"id": pizza.id}))
        wait_until(
            lambda: [job["name"] for job in _jobs_or_none(subscriber) or []] == [None],
            20,
            "pizza cancelled",
        )
        assert control.rejected == rejected + 7
        subscriber.publish("edge_os/home/command", "cancel all timers")
        wait_until(lambda: _jobs_or_none(subscriber) == [], 20, "no jobs")
        wait_until(
            lambda: [a["text"] for a in running.of_type("answer")] == ["Timer cancelled."],
            20,
            "the answer",
        )
    finally:
        subscriber.close()


def test_jobs_from_before_a_restart_run_or_are_dropped(
    assistant: Assistant,
    tmp_path: Path,
    clock: WallClock,
    broker: EmbeddedBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The last run of edge-os (or ``edge-os say``) left two jobs in the file, then stopped.
    before = TimerTable.open(tmp_path, clock)
    before.start(60, command="turn on the sprinkler")
    before.start(3600, command="turn on the coffee machine")
    before.close()
    clock.wait(hours=1, minutes=1)  # down for an hour: the sprinkler is 60 minutes late
    subscriber = Subscriber(broker, "cmnd/#", client_id="schedule-restart-test")
    monkeypatch.setattr(assistant.command, "timers", TimerTable.open(tmp_path, clock))
    restarted = Running(assistant, assistant.command.timers)
    try:
        with restarted:
            assert subscriber.wait_for(1, "cmnd/coffee_machine/POWER")[0].payload == b"ON"
            wait_until(lambda: len(restarted.of_type("timer-finished")) == 2, 20, "both timers")
            expired = [e for e in restarted.of_type("timer-finished") if e["expired"]]
            assert [e["command"] for e in expired] == ["turn on the sprinkler"]
            assert expired[0]["late_seconds"] == 3600
            assert restarted.timers.store.all() == []
        assert subscriber.received("cmnd/garden_sprinkler/POWER") == []
    finally:
        subscriber.close()


def test_say_stores_jobs_for_the_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home.yaml"
    home.write_text(
        EXAMPLE_HOME.read_text(encoding="utf-8") + f"\nstate_dir: {tmp_path}\n", encoding="utf-8"
    )
    assert main(["-c", str(home), "say", "turn off the lights in 5 minutes", "--dry-run"]) == 0
    assert "Okay, I will turn off the lights in 5 minutes." in capsys.readouterr().out
    assert not (tmp_path / "schedule.sqlite3").exists()  # a dry run changes nothing
    assert main(["-c", str(home), "say", "in 10 minutes turn on the sprinkler", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["answer"] == "Okay, I will turn on the sprinkler in 10 minutes."
    assert out["executed"] is False  # nothing moves now
    table = TimerTable.open(tmp_path)  # what the service opens at start
    ((job, left),) = table.running()
    assert (job.command, job.area, job.seconds) == ("turn on the sprinkler", "living_room", 600)
    assert 590 < left <= 600
    table.close()
    assert main(["-c", str(home), "say", "how much time is left on my timer", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)["answer"]
    assert re.fullmatch(
        r"Timer to turn on the sprinkler: (10 minutes|9 minutes and \d+ seconds) left\.", status
    )
    assert main(["-c", str(home), "say", "cancel all timers", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["answer"] == "Timer cancelled."
