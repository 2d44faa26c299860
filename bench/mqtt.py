"""Benchmark of the MQTT driver against a local Mosquitto (started here, on loopback).

Measures command latency (request -> PUBACK, through the durable queue), the raw paho
publish -> PUBACK latency for comparison, throughput (sequential and queued in bulk), and
recovery after a broker restart (until reconnected, and until a queued command arrives).
Writes bench/results/mqtt.json and bench/results/mqtt.png.

    .venv/bin/python bench/mqtt.py [--commands 500] [--bulk 2000] [--restarts 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_os.config.settings import Config  # noqa: E402
from edge_os.devices.entity import Action  # noqa: E402
from edge_os.drivers.mqtt.broker import EmbeddedBroker, find_mosquitto  # noqa: E402
from edge_os.drivers.mqtt.driver import MqttDriver  # noqa: E402
from edge_os.stages.outcome import ActionRequest, OutcomeStatus  # noqa: E402
from tests.mqtt_broker import Subscriber  # noqa: E402
from tests.waiting import wait_until  # noqa: E402

RESULTS = REPO / "bench" / "results"
TOPIC = "bench/dimmer/set"


def _config(broker: EmbeddedBroker, folder: Path) -> Config:
    return Config.model_validate(
        {
            "mqtt": {"host": broker.host, "port": broker.port, "queue_dir": folder / "queue"},
            "state_dir": folder,
            "entities": [
                {
                    "id": "light.bench",
                    "name": "Bench dimmer",
                    "capabilities": ["brightness"],
                    "mqtt": {"command_topic": TOPIC},
                }
            ],
        }
    )


def _stats_ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": round(statistics.median(ordered), 3),
        "p95": round(ordered[int(len(ordered) * 0.95) - 1], 3),
        "min": round(ordered[0], 3),
        "max": round(ordered[-1], 3),
    }


def _request(index: int) -> ActionRequest:
    return ActionRequest("light.bench", Action.SET_BRIGHTNESS, {"brightness": index % 101})


def latency_and_throughput(commands: int, bulk: int, folder: Path) -> dict[str, Any]:
    """Sequential execute() latency, raw publish latency, bulk drain rate."""
    with EmbeddedBroker() as broker:
        device = Subscriber(broker, TOPIC)
        config = _config(broker, folder)
        driver = MqttDriver.from_config(config, config.entities)
        driver.start()
        for index in range(20):  # warm-up
            driver.execute(_request(index))
        latencies = []
        start = time.perf_counter()
        for index in range(commands):
            begin = time.perf_counter()
            outcome = driver.execute(_request(index))
            latencies.append((time.perf_counter() - begin) * 1000)
            assert outcome.status is OutcomeStatus.DONE, outcome
        sequential_seconds = time.perf_counter() - start
        raw = []
        for index in range(commands):
            begin = time.perf_counter()
            mid = driver.connection.publish(TOPIC, str(index).encode(), qos=1)
            assert driver.connection.wait_ack(mid, 5) is not None
            raw.append((time.perf_counter() - begin) * 1000)
        received_before = len(device.received(TOPIC))
        start = time.perf_counter()
        for index in range(bulk):
            driver.enqueue(TOPIC, str(index).encode(), retain=False, entity_id="light.bench")
        enqueue_seconds = time.perf_counter() - start
        assert driver.wait_drained(120)
        drain_seconds = time.perf_counter() - start
        wait_until(
            lambda: len(device.received(TOPIC)) >= received_before + bulk, 30, "bulk delivery"
        )
        driver.stop()
        device.close()
    return {
        "execute_latency_ms": _stats_ms(latencies),
        "raw_publish_puback_ms": _stats_ms(raw),
        "sequential_commands_per_second": round(commands / sequential_seconds, 1),
        "bulk_enqueue_per_second": round(bulk / enqueue_seconds, 1),
        "bulk_delivered_per_second": round(bulk / drain_seconds, 1),
        "_latencies": latencies,
    }


def recovery(restarts: int, folder: Path) -> dict[str, Any]:
    """Broker stopped and started again: time to reconnect and to deliver the backlog."""
    reconnect_ms, delivered_ms = [], []
    with EmbeddedBroker(persistence=True) as broker:
        device = Subscriber(broker, TOPIC, persistent_session=True, client_id="bench-device")
        config = _config(broker, folder)
        driver = MqttDriver.from_config(config, config.entities)
        driver.start()
        for round_index in range(restarts):
            broker.stop()
            wait_until(lambda: not driver.connection.connected, 10, "disconnect")
            outcome = driver.execute(_request(round_index))
            assert outcome.status is OutcomeStatus.QUEUED, outcome
            before = len(device.received(TOPIC))
            broker.start()  # returns once the broker accepts connections
            up = time.perf_counter()
            wait_until(lambda: driver.connection.connected, 30, "reconnect")
            reconnect_ms.append((time.perf_counter() - up) * 1000)
            wait_until(
                lambda count=before: len(device.received(TOPIC)) > count, 30, "queued command"
            )
            delivered_ms.append((time.perf_counter() - up) * 1000)
        driver.stop()
        device.close()
    return {
        "restarts": restarts,
        "reconnect_after_broker_up_ms": _stats_ms(reconnect_ms),
        "queued_command_delivered_after_broker_up_ms": _stats_ms(delivered_ms),
    }


def _plot(latencies: list[float], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.hist(latencies, bins=50)
    axes.set_xlabel("request -> PUBACK (ms), through the durable queue")
    axes.set_ylabel("commands")
    axes.set_title("edge-os MQTT command latency, local Mosquitto")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return True


def main() -> None:
    """Run the benchmark and write the JSON (and PNG)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--bulk", type=int, default=2000)
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS, help="where the JSON (and PNG) go"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        speed = latency_and_throughput(args.commands, args.bulk, Path(tmp) / "a")
        recovered = recovery(args.restarts, Path(tmp) / "b")
    latencies = speed.pop("_latencies")
    mosquitto = subprocess.run(
        [find_mosquitto(), "-h"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[0]
    result = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "paho_mqtt": version("paho-mqtt"),
            "broker": mosquitto,
            "note": "shared machine, other jobs running: treat as upper bounds",
        },
        "commands": args.commands,
        "bulk": args.bulk,
        **speed,
        **recovered,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / "mqtt.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if _plot(latencies, args.results_dir / "mqtt.png"):
        result["plot"] = "bench/results/mqtt.png"
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
