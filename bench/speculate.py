"""Transcribing at the first pause: end of speech -> action, with and without, in real time.

`edge-os bench` plays its recording at the pace it was spoken through the command path
(``--fast``: as fast as it can, nothing transcribed ahead). This benchmark plays it to the
running service itself (``VoiceService``, its worker, earcons and speculator) at the speed
it was spoken (80 ms blocks on the clock), the way a microphone does, on the example home with
the embedded broker and a stand-in device subscribed (as `edge-os bench`). It times each
command from the ``speech-end`` event to the transcript and to the device's PUBACK
(``action``; the service plays its listening-end earcon first), with ``stt.speculative``
on and off in alternating runs of the same process. Writes bench/results/speculate.json.

    .venv/bin/python bench/speculate.py [--rounds 3] [--repeat 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_os.audio.sources import MockSource  # noqa: E402
from edge_os.audio.wav import read_wav  # noqa: E402
from edge_os.config.loader import load_config  # noqa: E402
from edge_os.config.settings import Config  # noqa: E402
from edge_os.pipeline.assistant import open_assistant  # noqa: E402
from edge_os.service.bench import (  # noqa: E402
    DEMO_RECORDING,
    bench_config,
    repeated,
    stand_in_devices,
)
from edge_os.service.loop import VoiceService  # noqa: E402
from edge_os.stages.events import ActionFinished, Event, SpeechEnded, TranscriptReady  # noqa: E402

BLOCK_MS = 80
GAP_SECONDS = 2.0


def one_run(config: Config, speculative: bool, repeat: int) -> dict[str, Any]:
    """One service run over the paced recording: per command, ms from speech-end."""
    stt = config.stt.model_copy(update={"speculative": speculative})
    config = config.model_copy(update={"stt": stt})
    marks: list[tuple[str, float]] = []

    def on_event(event: Event) -> None:
        if isinstance(event, SpeechEnded | TranscriptReady | ActionFinished):
            marks.append((event.type.value, time.perf_counter()))

    played = repeated(read_wav(DEMO_RECORDING), repeat, GAP_SECONDS)
    source = MockSource(played, block_ms=BLOCK_MS, name="the recording, in real time", paced=True)
    with open_assistant(config, llm=False) as assistant, stand_in_devices(assistant):
        service = VoiceService(assistant, source, on_event=on_event)
        asyncio.run(service.run())
        counts = service.speculator.counts() if service.speculator is not None else None
    to_transcript: list[float] = []
    to_action: list[float] = []
    ended: float | None = None
    for kind, at in marks:
        if kind == "speech-end":
            ended = at
        elif ended is not None and kind == "transcript":
            to_transcript.append((at - ended) * 1000)
        elif ended is not None and kind == "action":
            to_action.append((at - ended) * 1000)
            ended = None
    return {"transcript": to_transcript, "action": to_action, "speculative": counts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()
    config = bench_config(load_config(REPO / "devices" / "example-home.yaml"))
    runs: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
    for _ in range(args.rounds):
        for mode in ("on", "off"):
            runs[mode].append(one_run(config, mode == "on", args.repeat))
    result: dict[str, Any] = {"recording": DEMO_RECORDING.name, "rounds": args.rounds}
    for mode, done in runs.items():
        out: dict[str, Any] = {}
        for stage in ("transcript", "action"):
            values = sorted(v for run in done for v in run[stage])
            out[f"speech_end_to_{stage}_ms"] = {
                "n": len(values),
                "p50": round(statistics.median(values), 1),
                "p95": round(values[min(len(values) - 1, round(0.95 * (len(values) - 1)))], 1),
            }
        out["speculative"] = [run["speculative"] for run in done]
        result[mode] = out
    on, off = (result[m]["speech_end_to_action_ms"]["p50"] for m in ("on", "off"))
    result["action_p50_on_over_off"] = round(on / off, 3)
    out_file = REPO / "bench" / "results" / "speculate.json"
    out_file.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
