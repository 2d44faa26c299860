"""The durable timer table: real SQLite files, a clock moved by hand, restarts as new objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge_os.errors import EdgeOSError
from edge_os.scheduler.store import SCHEDULE_FILE
from edge_os.scheduler.timers import LATE_GRACE_SECONDS, TimerQuery, TimerTable


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def wait(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def test_a_job_survives_a_restart_and_runs_once(tmp_path: Path) -> None:
    clock = Clock()
    table = TimerTable.open(tmp_path, clock)
    job = table.start(300, command="turn off the lights", area="living_room")
    table.start(600, "pizza")
    table.close()
    assert (tmp_path / SCHEDULE_FILE).is_file()

    clock.wait(minutes=4)
    restarted = TimerTable.open(tmp_path, clock)  # edge-os restarted
    assert [(t.id, round(left)) for t, left in restarted.running()] == [(job.id, 60), (2, 360)]
    assert restarted.take_due().run == []
    clock.wait(minutes=1, seconds=1)
    due = restarted.take_due()
    assert [(t.command, t.area, round(late)) for t, late in due.run] == [
        ("turn off the lights", "living_room", 1)
    ]
    assert due.expired == []
    assert restarted.take_due().run == []  # taken means gone: it never runs twice
    restarted.close()
    again = TimerTable.open(tmp_path, clock)
    assert [t.name for t, _ in again.running()] == ["pizza"]
    again.close()


def test_jobs_due_while_down_run_within_the_grace_else_are_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    table = TimerTable.open(tmp_path, clock)
    table.start(60, command="turn off the coffee machine")
    table.start(3600, command="turn off the oven light")
    table.close()

    clock.wait(hours=1, seconds=30)  # down for an hour: the first is 59.5 min late
    restarted = TimerTable.open(tmp_path, clock)
    due = restarted.take_due()
    assert [(t.command, round(late)) for t, late in due.run] == [("turn off the oven light", 30)]
    assert [(t.command, round(late)) for t, late in due.expired] == [
        ("turn off the coffee machine", 3570)
    ]
    assert "dropped timer 1 (turn off the coffee machine) 3570 s after it was due" in caplog.text
    assert restarted.running() == []
    assert restarted.store.all() == []  # dropped for good, not retried at the next start
    restarted.close()


def test_the_grace_is_a_bound(tmp_path: Path) -> None:
    clock = Clock()
    table = TimerTable.open(tmp_path, clock, grace_seconds=10)
    table.start(5, command="a")
    table.start(5, command="b")
    clock.wait(seconds=15)
    assert [t.command for t, _ in table.take_due().run] == ["a", "b"]
    table.start(5, command="c")
    clock.wait(seconds=15.5)
    due = table.take_due()
    assert (due.run, [t.command for t, _ in due.expired]) == ([], ["c"])
    assert LATE_GRACE_SECONDS == 300.0


def test_paused_and_changed_timers_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    table = TimerTable.open(tmp_path, clock)
    timer = table.start(600, "tea")
    clock.wait(minutes=2)
    assert table.pause(timer)
    table.close()
    clock.wait(hours=5)
    restarted = TimerTable.open(tmp_path, clock)
    (paused,) = restarted.find_all(TimerQuery(name="tea"), paused=True)
    assert paused.paused and paused.left(restarted.now_unix()) == 480
    assert restarted.take_due().run == []  # a paused timer never comes due
    assert restarted.adjust(paused, 60) == 540
    (paused,) = restarted.find_all(TimerQuery(name="tea"))
    assert restarted.resume(paused)
    clock.wait(seconds=539)
    assert restarted.take_due().run == []
    clock.wait(seconds=1)
    assert [t.name for t, _ in restarted.take_due().run] == ["tea"]
    restarted.close()


def test_ids_are_never_reused_and_cancel_by_id(tmp_path: Path) -> None:
    clock = Clock()
    table = TimerTable.open(tmp_path, clock)
    first = table.start(60)
    assert table.cancel_id(first.id)
    assert not table.cancel_id(first.id)
    table.close()
    restarted = TimerTable.open(tmp_path, clock)
    second = restarted.start(60)
    assert second.id > first.id  # a late cancel of the old id can never hit the new job
    assert not restarted.cancel_id(first.id)
    assert [t.id for t, _ in restarted.running()] == [second.id]
    restarted.close()


def test_two_processes_share_one_file(tmp_path: Path) -> None:
    clock = Clock()
    service = TimerTable.open(tmp_path, clock)
    say = TimerTable.open(tmp_path, clock)  # ``edge-os say`` in another process
    say.start(30, command="turn on the sprinkler")
    assert [t.command for t, _ in service.running()] == ["turn on the sprinkler"]
    clock.wait(seconds=30)
    taken = service.take_due().run
    assert [t.command for t, _ in taken] == ["turn on the sprinkler"]
    assert say.take_due().run == []
    say.close()
    service.close()


def test_snapshot_is_stable_plain_data(tmp_path: Path) -> None:
    clock = Clock()
    table = TimerTable.open(tmp_path, clock)
    job = table.start(300, command="turn off the lights", area="living_room")
    timer = table.start(90, "Pizza ")
    table.pause(timer)
    start = clock.now.timestamp()
    first = table.snapshot()
    assert first == [
        {
            "id": job.id,
            "kind": "command",
            "name": None,
            "area": "living_room",
            "seconds": 300,
            "command": "turn off the lights",
            "due_unix": round(start + 300, 3),
            "paused": False,
            "left_seconds": None,
            "created_unix": round(start, 3),
        },
        {
            "id": timer.id,
            "kind": "timer",
            "name": "pizza",
            "area": None,
            "seconds": 90,
            "command": None,
            "due_unix": None,
            "paused": True,
            "left_seconds": 90.0,
            "created_unix": round(start, 3),
        },
    ]
    clock.wait(seconds=10)
    assert table.snapshot() == first  # nothing changed: the same payload
    table.close()


def test_an_unusable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(EdgeOSError, match="cannot open the timer table"):
        TimerTable.open(blocker / "state")
