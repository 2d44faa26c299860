"""Soak benchmark: 30 minutes (or --minutes) of mixed audio through the service, fast.

Writes bench/results/soak.json with the commands sent and delivered, the RSS after each
command, and bench/results/soak.png. Run: .venv/bin/python bench/soak.py [--minutes 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from edge_os.audio.sources import MockSource
from edge_os.config.loader import load_config
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.pipeline.assistant import open_assistant
from edge_os.service.bench import DEMO_RECORDING, bench_config
from edge_os.service.loop import VoiceService
from edge_os.service.soak import soak_stream
from edge_os.service.status import rss_mb
from edge_os.stages.events import ActionFinished, Event

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    """Run the soak and write its results."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30.0)
    args = parser.parse_args()
    stream, cycles = soak_stream(DEMO_RECORDING, args.minutes)
    rss: list[float] = []
    statuses: list[str] = []

    def on_event(event: Event) -> None:
        if isinstance(event, ActionFinished):
            statuses.append(event.status)
            rss.append(rss_mb())

    with EmbeddedBroker() as broker:
        config = load_config(REPO / "devices" / "example-home.yaml")
        config = bench_config(config).model_copy(
            update={
                "mqtt": config.mqtt.model_copy(update={"host": broker.host, "port": broker.port}),
                "state_dir": Path("/tmp/edge-os-soak"),
            }
        )
        with open_assistant(config, llm=False) as assistant:
            service = VoiceService(assistant, MockSource(stream), on_event=on_event)
            started = time.perf_counter()
            asyncio.run(service.run())
            seconds = time.perf_counter() - started
            metrics = service.metrics.snapshot()
    result = {
        "audio_minutes": round(stream.seconds / 60, 1),
        "wall_seconds": round(seconds, 1),
        "speed_vs_real_time": round(stream.seconds / seconds, 1),
        "commands_sent": cycles,
        "actions": {s: statuses.count(s) for s in sorted(set(statuses))},
        "errors": metrics["errors"],
        "rss_mb_after_command": rss,
        "rss_growth_mb_after_warmup": round(rss[-1] - rss[min(2, len(rss) - 1)], 1)
        if rss
        else None,
        "latency": metrics["latency"],
    }
    out = REPO / "bench" / "results" / "soak.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axis = plt.subplots(figsize=(7, 3))
        axis.plot(range(1, len(rss) + 1), rss, marker=".")
        axis.set_xlabel("command")
        axis.set_ylabel("RSS (MiB)")
        axis.set_title(f"edge-os soak: {result['audio_minutes']} min of audio, {cycles} commands")
        axis.set_ylim(bottom=0)
        figure.tight_layout()
        figure.savefig(out.with_suffix(".png"), dpi=100)
    except ImportError:
        pass
    print(json.dumps({k: v for k, v in result.items() if k != "rss_mb_after_command"}, indent=2))


if __name__ == "__main__":
    main()
