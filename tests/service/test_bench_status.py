"""edge-os bench and edge-os status, as a user runs them."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from edge_os.cli.main import main
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.service.bench import run_bench
from edge_os.service.metrics import Metrics
from edge_os.stages.events import ErrorEvent
from tests.mqtt_broker import Subscriber
from tests.service.conftest import service_config


def test_bench_measures_every_stage(broker: EmbeddedBroker, tmp_path: Path) -> None:
    # the kitchen light is subscribed: MQTT 5 says "done" only when a device got it
    light = Subscriber(broker, "zigbee2mqtt/kitchen_ceiling/set", client_id="bench-light")
    try:
        result = run_bench(service_config(broker, tmp_path), repeat=2, llm=False)
    finally:
        light.close()
    assert result["commands"] == 2
    assert result["actions"] == {"done": 2}
    # played at the pace it was spoken: each command was transcribed at its first pause,
    # while the VAD waited out its silence, as in edge-os run
    assert result["config"]["paced"] and result["config"]["speculative"]
    assert result["transcribed_at_a_pause"] == {"used": 2, "wasted": 0}
    for stage in ("transcript", "intent", "mqtt_acknowledged", "first_audio"):
        summary = result["end_of_speech_to_ms"][stage]
        assert summary["n"] == 2
        assert 0 < summary["p50"] <= summary["max"]
    assert result["peak_rss_mb"] > 100  # the models are really loaded
    [played] = result["recordings"]  # what each command of the recording did
    assert played["commands"] == 2
    assert all("kitchen light" in text.lower() for text in played["transcripts"])
    assert [[entity for entity, *_ in one] for one in played["actions"]] == [
        ["light.kitchen_ceiling"],
        ["light.kitchen_ceiling"],
    ]


def write_status(config: Path, state: Path, pid: int, age_seconds: float) -> None:
    config.write_text(f"state_dir: {state}\n", encoding="utf-8")
    state.mkdir(exist_ok=True)
    now = time.time()
    (state / "status.json").write_text(
        json.dumps(
            {
                "pid": pid,
                "state": "idle",
                "muted": False,
                "volume": 80,
                "uptime_seconds": 5.0,
                "rss_mb": 400.0,
                "updated": now - age_seconds,
                "metrics": Metrics().snapshot(),
            }
        ),
        encoding="utf-8",
    )


def test_status_of_a_running_service(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    write_status(config, tmp_path / "state", os.getpid(), age_seconds=1)
    assert main(["-c", str(config), "status", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["running"] is True
    assert shown["state"] == "idle"


def test_status_of_a_stopped_service(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    write_status(config, tmp_path / "state", os.getpid(), age_seconds=60)
    assert main(["-c", str(config), "status"]) == 3
    assert capsys.readouterr().out.startswith("edge-os: not running")
    (tmp_path / "state" / "status.json").unlink()
    assert main(["-c", str(config), "status"]) == 1
    assert "edge-os is not running" in capsys.readouterr().err


def test_metrics_percentiles_and_errors() -> None:
    metrics = Metrics()
    for ms in range(1, 101):
        metrics.record_latency("stt", float(ms))
    metrics.record_event(ErrorEvent(stage="stt", code="stt-failed", message="x"))
    snapshot = metrics.snapshot()
    assert snapshot["latency"]["stt"] == {"n": 100, "p50_ms": 51.0, "p95_ms": 95.0, "max_ms": 100.0}
    assert snapshot["errors_by_code"] == {"stt-failed": 1}


def test_bench_plays_a_set_of_recordings_on_one_timeline(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    from edge_os.service.bench import DEMO_RECORDING

    light = Subscriber(broker, "zigbee2mqtt/kitchen_ceiling/set", client_id="bench-light")
    try:
        result = run_bench(
            service_config(broker, tmp_path),
            [DEMO_RECORDING, DEMO_RECORDING],
            repeat=1,
            llm=False,
            paced=False,  # --fast: as fast as it is read, nothing transcribed ahead
        )
    finally:
        light.close()
    # the second recording is heard as well as the first: its samples follow the first's
    assert [r["commands"] for r in result["recordings"]] == [1, 1]
    assert all("kitchen light" in r["transcripts"][0].lower() for r in result["recordings"])
    assert result["actions"] == {"done": 2}
    assert result["transcribed_at_a_pause"] is None
