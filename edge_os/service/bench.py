"""``edge-os bench``: the whole loop's latency and memory on this machine, as JSON.

A recording (by default the bundled "Hey Jarvis. Turn on the kitchen light.") is played
``repeat`` times through the same front end, STT, intent engine, dispatcher and voice the
service uses, on the configured broker (or the embedded one). Each command is handled the
moment its end of speech is detected, so the numbers are end of speech -> device command
acknowledged by the broker, and -> first audio of the answer, per stage. Peak RSS is the
whole process's, models and drivers included.

The recording is played at the pace it was spoken, as a microphone gives it, so the
transcription the service starts at the command's first pause (``stt.speculative``) runs
while the VAD waits out its silence, as it does in ``edge-os run``. ``paced=False``
(``--fast``) plays it as fast as it is read, with nothing transcribed ahead: then the
numbers are the transcription's own time.
"""

from __future__ import annotations

import platform
import resource
import statistics
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from edge_os import __version__
from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk
from edge_os.config.settings import Config
from edge_os.service.metrics import percentile
from edge_os.stages.events import ActionFinished, Event

DEMO_RECORDING = (
    Path(__file__).resolve().parents[2]
    / "audio"
    / "samples"
    / "hey-jarvis-turn-on-the-kitchen-light.wav"
)
GAP_SECONDS = 1.5
"""Silence between repetitions, so each wake word stands alone."""


def bench_config(config: Config) -> Config:
    """``config`` with answers going nowhere and no follow-up window between repetitions."""
    output = config.audio.output.model_copy(update={"sink": "null"})
    return config.model_copy(
        update={
            "audio": config.audio.model_copy(update={"output": output}),
            "intent": config.intent.model_copy(update={"follow_up_seconds": 0.0}),
        }
    )


def repeated(audio: AudioChunk, repeat: int, gap_seconds: float = GAP_SECONDS) -> AudioChunk:
    """``audio`` ``repeat`` times with silence between (one continuous stream)."""
    gap = bytes(INTERNAL_FORMAT.width * round(gap_seconds * INTERNAL_FORMAT.rate))
    return AudioChunk((audio.pcm + gap) * repeat, INTERNAL_FORMAT, 0)


def summary(values: list[float]) -> dict[str, float]:
    """Count, p50, p95, min and max of ``values`` (milliseconds), rounded; {} when empty."""
    if not values:
        return {}
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 1),
        "p95": round(percentile(values, 0.95), 1),
        "min": round(min(values), 1),
        "max": round(max(values), 1),
    }


LEARNED_SENTENCES = (
    "it's a bit dark in here",
    "could you kill the counter lights",
    "make me a coffee",
    "get the coffee machine going",
    "I'd like the floor lamp at 35 percent brightness",
)
"""Typed requests the templates do not hold (the example home's devices): the learned
reader's path through the same command pipeline, timed with the model resident."""


def run_bench(
    config: Config,
    recording: Path | Sequence[Path] = DEMO_RECORDING,
    repeat: int = 10,
    llm: bool | None = None,
    paced: bool = True,
) -> dict[str, Any]:
    """Run the benchmark; returns the JSON-ready result.

    ``recording``: one WAV or several (a command set: each is played ``repeat`` times, in
    turn, and ``recordings`` in the result says what each did: transcripts and device
    actions). ``llm``: None measures the config as it is; True loads the LLM fallback at
    start (the worst case for memory); False leaves it out. On the embedded broker a
    stand-in device (a plain MQTT client) is subscribed to every command topic, so a
    command counts as acknowledged when a device took it, as in a real home. ``paced``:
    played at the pace it was spoken, transcribed at each pause as the service does (see
    the module's doc)."""
    from edge_os.audio.sources import MockSource
    from edge_os.audio.wav import read_wav
    from edge_os.pipeline.assistant import open_assistant
    from edge_os.pipeline.command import replay
    from edge_os.pipeline.speculate import Speculator

    config = bench_config(config)
    if llm is not None:
        update = {"llm_fallback": llm, **({"llm_load": "eager"} if llm else {})}
        config = config.model_copy(update={"intent": config.intent.model_copy(update=update)})
    paths = [recording] if isinstance(recording, Path) else list(recording)
    streams: list[AudioChunk] = []
    for path in paths:  # one timeline: each recording's samples follow the last one's
        played = repeated(read_wav(path), repeat)
        offset = sum(len(s.pcm) // INTERNAL_FORMAT.width for s in streams)
        streams.append(AudioChunk(played.pcm, INTERNAL_FORMAT, offset))
    stages: dict[str, list[float]] = {}
    events: list[Event] = []
    learned: list[dict[str, Any]] = []
    each: list[dict[str, Any]] = []
    started = time.perf_counter()
    with open_assistant(config) as assistant:
        load_ms = dict(assistant.load_ms)
        frontend = assistant.frontend
        assert frontend is not None  # open_assistant(listen=True) loads it
        speculative = paced and config.stt.speculative
        speculator = Speculator(assistant.command.transcribe) if speculative else None
        with stand_in_devices(assistant):
            loop_started = time.perf_counter()
            try:
                for path, stream in zip(paths, streams, strict=True):
                    block_ms = config.audio.input.block_ms
                    chunks = MockSource(stream, block_ms=block_ms, paced=paced).chunks()
                    reports = replay(chunks, frontend, assistant.command, events.append, speculator)
                    for report in reports:
                        for stage, ms in report.stage_ms.items():
                            stages.setdefault(stage, []).append(ms)
                    each.append(_what_it_did(path, reports))
            finally:
                if speculator is not None:
                    speculator.close()
            loop_seconds = time.perf_counter() - loop_started
            for text in LEARNED_SENTENCES:
                done = assistant.command.handle_text(text, lambda _event: None)
                if done.result is not None:
                    learned.append({
                        "text": text,
                        "intent": done.result.intent,
                        "path": done.result.path,
                        "latency_ms": round(done.result.latency_ms, 2),
                    })  # fmt: skip
        llm_loaded = assistant.fallback is not None and config.intent.llm_load == "eager"
    statuses = [e.status for e in events if isinstance(e, ActionFinished)]
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "edge_os": __version__,
        "machine": {
            "arch": platform.machine(),
            "cpus": _cpus(),
            "python": platform.python_version(),
        },
        "config": {
            "stt_model": config.stt.model,
            "stt_compute_type": config.stt.compute_type,
            "stt_threads": config.stt.cpu_threads,
            "stt_window_seconds": config.stt.window_seconds,
            "wake_threads": config.wake.threads,
            "paced": paced,
            "speculative": speculative,
            "broker": config.mqtt.host or "embedded, with a stand-in device subscribed",
            "llm_loaded": llm_loaded,
            "learned_reader_loaded": learned_loaded(learned),
        },
        "recording": str(paths[0]),
        "recordings": each,
        "repeat": repeat,
        "commands": len(stages.get("stt", [])),
        "actions": {status: statuses.count(status) for status in sorted(set(statuses))},
        "transcribed_at_a_pause": speculator.counts() if speculator is not None else None,
        "end_of_speech_to_ms": {
            "transcript": summary(stages.get("stt", [])),
            "intent": summary(stages.get("intent", [])),
            "mqtt_acknowledged": summary(stages.get("action", [])),
            "first_audio": summary(stages.get("first_audio", [])),
        },
        "learned_path": {
            "sentences": learned,
            "latency_ms": summary([x["latency_ms"] for x in learned if x["path"] == "model"]),
        },
        "load_ms": load_ms,
        "audio_seconds": round(sum(x.seconds for x in streams), 1),
        "rtf": round(loop_seconds / sum(x.seconds for x in streams), 3),
        "peak_rss_mb": round(peak_kib / 1024, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
    }


def _what_it_did(path: Path, reports: Sequence[Any]) -> dict[str, Any]:
    """One recording's commands: what was heard and which device actions were asked."""
    actions = [
        [[o.request.entity_id, o.request.action.value, dict(o.request.params)] for o in r.outcomes]
        for r in reports
    ]
    return {
        "path": str(path),
        "commands": len(reports),
        "transcripts": [r.text for r in reports],
        "actions": actions,
        "end_of_speech_to_ms": [dict(r.stage_ms) for r in reports],
    }


def learned_loaded(learned: list[dict[str, Any]]) -> bool:
    """Whether the learned reader answered any of the typed requests."""
    return any(x["path"] == "model" and x["intent"] for x in learned)


@contextmanager
def stand_in_devices(assistant: Any) -> Iterator[None]:
    """On the embedded broker, a plain MQTT client subscribed to every command topic."""
    connection = getattr(assistant.mqtt, "connection", None)
    broker = getattr(assistant.mqtt, "broker", None)
    if broker is None or connection is None:
        yield
        return
    import importlib

    mqtt: Any = importlib.import_module("paho.mqtt.client")

    topics = sorted(
        {t for e in assistant.registry if e.mqtt is not None
         for t in (e.mqtt.command_topic, *e.mqtt.topics.values()) if t}
    )  # fmt: skip
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id="edge-os-bench-devices",
        protocol=mqtt.MQTTv5,
    )  # fmt: skip
    subscribed = threading.Event()
    client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in topics])
    client.on_subscribe = lambda *_: subscribed.set()
    client.username_pw_set(broker.username, broker.password)
    client.connect(connection.host, connection.port)
    client.loop_start()
    try:
        subscribed.wait(5)
        yield
    finally:
        client.loop_stop()
        client.disconnect()


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))
