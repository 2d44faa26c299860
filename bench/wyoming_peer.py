"""edge-os beside the pipeline Home Assistant users run today, in one run (issue #17).

**The peer**, as Home Assistant runs it:
- speech to text: wyoming-faster-whisper 3.8.1, a server in its own process, with the same
  Whisper files edge-os uses (tiny.en, CTranslate2, from edge-os's model manifest);
- intent: hassil with Home Assistant's own sentence templates (home-assistant-intents, no
  edge-os overlay), in this process, as Home Assistant core runs it;
- the device: an MQTT publish with QoS 1 on a Mosquitto on loopback, timed to its PUBACK;
- the answer: wyoming-piper 2.5.2, a server in its own process, with edge-os's Piper voice
  (en_US-joe-medium); timed to its first audio chunk.

It runs in two settings: ``peer`` (wyoming-faster-whisper's own defaults on x86: beam 5, 4
CPU threads, the model's compute type) and ``peer-edge`` (edge-os's Whisper settings: beam
1, 2 threads, int8; Whisper's 30 s window stays, as wyoming-faster-whisper has no other).
Both get ``--language en``. The peer's packages go in their own virtual environment,
``bench/.peer-venv``, made on the first run from PyPI.

**edge-os**: ``edge-os bench --json --no-llm --recording ...`` in a process of its own, on
the same commands: its own front end, wake word, VAD, STT, intent, embedded broker with a
stand-in device, Piper. ``edge_os``: the audio at the pace it was spoken, each command
transcribed at its first pause while the VAD waits out its silence, as ``edge-os run``
does; ``edge_os_fast`` (``--fast``): as fast as it is read, nothing transcribed ahead, so
its times are the transcription's own.

**Data**: the bundled recording ("Hey Jarvis. Turn on the kitchen light.") and 20 commands
for the example home spoken by espeak-ng in four voices, each with its gold action. edge-os
hears "hey jarvis" (espeak-ng en-gb, the same for all: the peer's wake word is not tested
either) and the command; the peer gets what a satellite streams after its wake
word: the command and the 0.7 s of silence the VAD waits before it ends the command.

**Times** are from the end of speech as each pipeline knows it: for edge-os, its VAD's end
of speech; for the peer, the ``audio-stop`` a satellite sends when its VAD ends the command
(wyoming-faster-whisper transcribes only then). Rounds interleave edge-os, peer and
peer-edge (``--rounds``, default 3); p50/p95 are over every command of every round.

**Right actions**: the device actions each pipeline asked for (entity and action) against the
gold. **Memory**: peak RSS (VmHWM) of each process: edge-os's whole service; the peer's STT
server, TTS server, and this process (hassil and the MQTT client, Home Assistant core's part).

Writes ``bench/results/wyoming_peer.json`` and ``.png``.
Run: ``.venv/bin/python bench/wyoming_peer.py [--rounds 3]`` (needs espeak-ng, sox,
mosquitto and PyPI for the first run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from bench.intent import HassilRecognizer  # noqa: E402
from bench.plotting import pyplot  # noqa: E402
from edge_os.config.loader import load_config  # noqa: E402
from edge_os.devices.registry import DeviceRegistry  # noqa: E402
from edge_os.intent.plan import plan  # noqa: E402
from edge_os.service.bench import DEMO_RECORDING, summary  # noqa: E402
from edge_os.stt.whisper import resolve_model_dir  # noqa: E402
from edge_os.tts.piper_voice import resolve_voice  # noqa: E402

RESULTS = REPO / "bench" / "results"
PEER_VENV = REPO / "bench" / ".peer-venv"
PEER_PACKAGES = ("wyoming-faster-whisper==3.8.1", "wyoming-piper==2.5.2")
HOME = REPO / "devices" / "example-home.yaml"
VOICE = "en_US-joe-medium"
RATE = 16000
VAD_WAIT_SECONDS = 0.7
"""Silence a satellite's VAD hears before it ends the command (edge-os's ``vad`` waits as long)."""
ANSWER = "The kitchen light is on."
"""What the peer's voice says (about as long as edge-os's answers)."""
EDGE_OS = ("edge_os", "edge_os_fast")
"""edge-os as it runs (paced, transcribed at the first pause) and with ``--fast``."""
SETTINGS: dict[str, list[str]] = {
    "peer": [],  # wyoming-faster-whisper's defaults on x86: beam 5, 4 threads
    "peer-edge": ["--beam-size", "1", "--cpu-threads", "2", "--compute-type", "int8"],
}
COMMANDS: tuple[tuple[str, list[tuple[str, str]]], ...] = (
    ("turn on the kitchen light", [("light.kitchen_ceiling", "turn_on")]),
    ("turn off the floor lamp", [("light.living_room_lamp", "turn_off")]),
    ("open the blinds", [("cover.living_room_blinds", "open")]),
    ("close the garage door", [("cover.garage_door", "close")]),
    ("set the bedside lamp to fifty percent", [("light.bedroom_lamp", "set_brightness")]),
    ("turn on the ceiling fan", [("fan.bedroom_fan", "turn_on")]),
    ("switch off the office heater", [("switch.office_heater", "turn_off")]),
    ("turn on the coffee machine", [("switch.coffee_machine", "turn_on")]),
    ("set the thermostat to twenty one degrees",
     [("climate.living_room_thermostat", "set_temperature")]),
    ("turn off the desk light", [("light.desk_led", "turn_off")]),
    ("turn on the garage light", [("light.garage_light", "turn_on")]),
    ("turn on the sprinkler", [("switch.garden_sprinkler", "turn_on")]),
    ("turn off the counter lights", [("light.kitchen_counter", "turn_off")]),
    ("make the floor lamp red", [("light.living_room_lamp", "set_color")]),
    ("set the ceiling fan to fifty percent", [("fan.bedroom_fan", "set_percentage")]),
    ("pause the music", [("media_player.living_room_speaker", "pause")]),
    ("turn off the kitchen light", [("light.kitchen_ceiling", "turn_off")]),
    ("turn on the lights in the bedroom", [("light.bedroom_lamp", "turn_on")]),
    ("close the blinds", [("cover.living_room_blinds", "close")]),
    ("turn off the sprinkler", [("switch.garden_sprinkler", "turn_off")]),
)  # fmt: skip
"""The 20-command set: what is said after "hey jarvis", and the gold device actions."""
VOICES = ("en-us", "en-gb", "en-gb-x-rp", "en-029")


# --- audio -------------------------------------------------------------------------------


def _pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as f:
        if (f.getframerate(), f.getnchannels(), f.getsampwidth()) != (RATE, 1, 2):
            raise SystemExit(f"{path}: expected 16 kHz mono 16-bit")
        return f.readframes(f.getnframes())


def _write(path: Path, pcm: bytes) -> Path:
    with wave.open(str(path), "wb") as f:
        f.setframerate(RATE)
        f.setnchannels(1)
        f.setsampwidth(2)
        f.writeframes(pcm)
    return path


def _silence(seconds: float) -> bytes:
    return bytes(2 * round(seconds * RATE))


def _after_wake_word(pcm: bytes) -> bytes:
    """The bundled recording from its command on: after the first pause of at least 0.2 s
    that follows speech (the pause after "Hey Jarvis.")."""
    import numpy as np

    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
    frame = RATE // 50  # 20 ms
    levels = [
        float(np.sqrt(np.mean(samples[i : i + frame] ** 2)))
        for i in range(0, len(samples) - frame, frame)
    ]
    loud = max(levels) * 0.1
    spoke, quiet = False, 0
    for index, level in enumerate(levels):
        if level >= loud:
            if spoke and quiet >= 10:
                return pcm[2 * frame * (index - 10) :]  # keep 200 ms before the command
            spoke, quiet = True, 0
        elif spoke:
            quiet += 1
    raise SystemExit("no pause after the wake word in the bundled recording")


def command_set(work: Path) -> list[dict[str, Any]]:
    """Each command: the WAV edge-os hears, the PCM the peer gets, the gold actions."""
    from speech import espeak

    items = []
    bundled = _pcm(DEMO_RECORDING)
    items.append({
        "name": "bundled recording",
        "text": "turn on the kitchen light",
        "edge_os_wav": DEMO_RECORDING,
        "peer_pcm": _after_wake_word(bundled) + _silence(VAD_WAIT_SECONDS),
        "gold": [("light.kitchen_ceiling", "turn_on")],
    })  # fmt: skip
    for index, (text, gold) in enumerate(COMMANDS):
        voice = VOICES[index % len(VOICES)]
        # one wake word voice for all (as the tests use): the peer is not tested on its wake
        # word either; the command is in the four voices
        wake, command = _pcm(espeak("hey jarvis", "en-gb", 140)), _pcm(espeak(text, voice))
        heard = _silence(0.5) + wake + _silence(0.4) + command + _silence(1.0)
        items.append({
            "name": f"{voice}: {text}",
            "text": text,
            "edge_os_wav": _write(work / f"command-{index:02d}.wav", heard),
            "peer_pcm": command + _silence(VAD_WAIT_SECONDS),
            "gold": gold,
        })  # fmt: skip
    return items


# --- the peer's processes ----------------------------------------------------------------


def peer_python() -> Path:
    """The peer's interpreter, its packages installed from PyPI on the first run."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    have = subprocess.run(
        [str(python), "-m", "pip", "freeze"], check=True, capture_output=True, text=True
    ).stdout.lower()
    if not all(p.lower() in have for p in PEER_PACKAGES):
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
    return python


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a peer server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listened on port {port} after {seconds} s")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class Servers:
    """wyoming-faster-whisper (one per setting) and wyoming-piper, started once."""

    def __init__(self, python: Path, work: Path) -> None:
        config = load_config(HOME)
        model = resolve_model_dir("tiny.en", config.state_dir)
        voice = resolve_voice(VOICE, config.state_dir)
        voices = work / "voices"
        voices.mkdir(exist_ok=True)
        for source in (voice, Path(f"{voice}.json")):
            target = voices / source.name
            if not target.exists():
                target.symlink_to(source)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        for name, extra in SETTINGS.items():
            port = _free_port()
            self.ports[name] = port
            self.processes[name] = subprocess.Popen(
                [str(python), "-m", "wyoming_faster_whisper", "--uri", f"tcp://127.0.0.1:{port}",
                 "--model", str(model), "--data-dir", str(work / "whisper"), "--language", "en",
                 "--local-files-only", *extra],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        port = _free_port()
        self.ports["tts"] = port
        self.processes["tts"] = subprocess.Popen(
            [str(python), "-m", "wyoming_piper", "--uri", f"tcp://127.0.0.1:{port}",
             "--voice", VOICE, "--data-dir", str(voices), "--local-files-only"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for name, process in self.processes.items():
            _wait_port(self.ports[name], process)

    def rss(self) -> dict[str, float]:
        return {name: _peak_rss_mb(p.pid) for name, p in self.processes.items()}

    def close(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


class Broker:
    """Mosquitto on loopback and a QoS 1 publisher timed to each PUBACK."""

    def __init__(self) -> None:
        import paho.mqtt.client as mqtt

        self.port = _free_port()
        self.process = subprocess.Popen(
            [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_port(self.port, self.process, 10)
        self.acked = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="peer-ha")
        self.client.on_publish = lambda *_: self.acked.set()
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()

    def publish(self, topic: str, payload: str) -> None:
        self.acked.clear()
        self.client.publish(topic, payload, qos=1)
        if not self.acked.wait(5):
            raise SystemExit("no PUBACK from mosquitto in 5 s")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
        self.process.terminate()
        self.process.wait(10)


# --- one peer command --------------------------------------------------------------------


async def _transcribe(port: int, pcm: bytes) -> tuple[str, float]:
    """The peer's transcript and the seconds from audio-stop to it."""
    from wyoming.asr import Transcribe, Transcript
    from wyoming.audio import AudioChunk, AudioStart, AudioStop
    from wyoming.client import AsyncTcpClient

    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Transcribe(language="en").event())
        await client.write_event(AudioStart(rate=RATE, width=2, channels=1).event())
        step = RATE // 10 * 2  # 100 ms chunks, as a satellite streams them
        for start in range(0, len(pcm), step):
            chunk = AudioChunk(rate=RATE, width=2, channels=1, audio=pcm[start : start + step])
            await client.write_event(chunk.event())
        stopped = time.perf_counter()
        await client.write_event(AudioStop().event())
        while True:
            event = await client.read_event()
            if event is None:
                raise SystemExit("the STT server closed the connection")
            if Transcript.is_type(event.type):
                return Transcript.from_event(event).text, stopped


async def _first_audio(port: int, text: str) -> None:
    from wyoming.audio import AudioChunk
    from wyoming.client import AsyncTcpClient
    from wyoming.tts import Synthesize

    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Synthesize(text=text).event())
        while True:
            event = await client.read_event()
            if event is None:
                raise SystemExit("the TTS server closed the connection")
            if AudioChunk.is_type(event.type):
                return


def peer_command(
    setting: str,
    item: dict[str, Any],
    *,
    servers: Servers,
    broker: Broker,
    hassil: HassilRecognizer,
    registry: DeviceRegistry,
) -> dict[str, Any]:
    """One command through the peer: stage times from audio-stop, and its actions."""
    text, stopped = asyncio.run(_transcribe(servers.ports[setting], item["peer_pcm"]))
    transcribed = time.perf_counter()
    result = hassil.recognize(text)
    requests = plan(result, registry) if result.intent else []
    understood = time.perf_counter()
    for request in requests:
        entity = registry[request.entity_id]
        topic = entity.mqtt.command_topic if entity.mqtt else f"peer/{entity.id}"
        broker.publish(topic, json.dumps({"action": request.action.value, **request.params}))
    acknowledged = time.perf_counter()
    asyncio.run(_first_audio(servers.ports["tts"], ANSWER))
    spoken = time.perf_counter()
    ms = {
        "transcript": (transcribed - stopped) * 1000,
        "intent": (understood - stopped) * 1000,
        "first_audio": (spoken - stopped) * 1000,
    }
    if requests:
        ms["mqtt_acknowledged"] = (acknowledged - stopped) * 1000
    return {
        "transcript": text,
        "actions": [(r.entity_id, r.action.value) for r in requests],
        "ms": ms,
    }


# --- edge-os -----------------------------------------------------------------------------


def edge_os_round(items: list[dict[str, Any]], work: Path, fast: bool) -> dict[str, Any]:
    """``edge-os bench`` over every command once, in a process of its own, after one
    warm-up command (the bundled recording), as each peer server gets one; ``fast``:
    ``--fast``."""
    out = work / "edge-os.json"
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "edge-os"), "-c", str(HOME), "bench", "--no-llm",
         "--repeat", "1", "--out", str(out), "--json", *(["--fast"] if fast else []),
         "--recording", str(DEMO_RECORDING), *(str(i["edge_os_wav"]) for i in items)],
        check=True, capture_output=True,
    )  # fmt: skip
    report = json.loads(out.read_text(encoding="utf-8"))
    commands = []
    for played in report["recordings"][1:]:  # the first is a warm-up, as each peer server gets
        ms = played["end_of_speech_to_ms"][0] if played["end_of_speech_to_ms"] else {}
        actions = played["actions"][0] if played["actions"] else []
        commands.append({
            "transcript": played["transcripts"][0] if played["transcripts"] else None,
            "actions": [(entity, action) for entity, action, _ in actions],
            "ms": {"transcript": ms.get("stt"), "intent": ms.get("intent"),
                   "mqtt_acknowledged": ms.get("action"), "first_audio": ms.get("first_audio")},
            "heard_commands": played["commands"],
        })  # fmt: skip
    return {"commands": commands, "peak_rss_mb": report["peak_rss_mb"]}


# --- the run -----------------------------------------------------------------------------


def summarise(
    runs: list[dict[str, Any]], items: list[dict[str, Any]], part: slice
) -> dict[str, Any]:
    """Per-stage p50/p95 and right actions over ``part`` of the commands, all rounds."""
    chosen = items[part]
    stages: dict[str, list[float]] = {}
    right = total = 0
    for run in runs:
        for item, command in zip(chosen, run["commands"][part], strict=True):
            for stage, ms in command["ms"].items():
                if ms is not None:
                    stages.setdefault(stage, []).append(ms)
            total += 1
            right += sorted(map(tuple, command["actions"])) == sorted(item["gold"])
    return {
        "commands": total,
        "right_actions": right,
        "end_of_speech_to_ms": {stage: summary(v) for stage, v in stages.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args()
    python = peer_python()
    config = load_config(HOME)
    registry = DeviceRegistry.from_config(config)
    hassil = HassilRecognizer(registry, config.site.area)
    from hassil import Intents
    from home_assistant_intents import get_intents

    hassil.intents = Intents.from_dict(get_intents("en"))  # HA's own, no edge-os overlay
    names = (*EDGE_OS, *SETTINGS)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    edge_rss: dict[str, list[float]] = {name: [] for name in EDGE_OS}
    with tempfile.TemporaryDirectory(prefix="edge-os-peer-") as tmp:
        work = Path(tmp)
        items = command_set(work)
        servers, broker = Servers(python, work), Broker()
        peer = {"servers": servers, "broker": broker, "hassil": hassil, "registry": registry}
        try:
            for setting in SETTINGS:  # warm each server once, as a running one would be
                peer_command(setting, items[0], **peer)
            for round_index in range(args.rounds):
                for name in EDGE_OS:
                    edge = edge_os_round(items, work, fast=name == "edge_os_fast")
                    runs[name].append(edge)
                    edge_rss[name].append(edge["peak_rss_mb"])
                for setting in SETTINGS:
                    runs[setting].append({"commands": [
                        peer_command(setting, item, **peer)
                        for item in items
                    ]})  # fmt: skip
                print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr)
            rss = servers.rss()
        finally:
            servers.close()
            broker.close()
        results: dict[str, Any] = {
            "machine": f"{platform.machine()} {os.cpu_count()} cores (shared with other jobs)",
            "rounds": args.rounds,
            "peer": {"packages": list(PEER_PACKAGES), "settings": SETTINGS,
                     "intent": "hassil with home-assistant-intents (no edge-os overlay)"},
            "data": {"bundled": str(DEMO_RECORDING.relative_to(REPO)),
                     "set": "20 commands, espeak-ng voices " + ", ".join(VOICES)},
            "commands": [{"name": i["name"], "gold": i["gold"]} for i in items],
            "results": {},
            "peak_rss_mb": {
                **{name: max(edge_rss[name]) for name in EDGE_OS},
                "peer_stt": rss["peer"], "peer_stt_edge_settings": rss["peer-edge"],
                "peer_tts": rss["tts"],
                "peer_ha_core_stand_in": round(
                    __import__("resource").getrusage(__import__("resource").RUSAGE_SELF).ru_maxrss
                    / 1024, 1),
            },
            "transcripts": {name: [c["transcript"] for c in runs[name][0]["commands"]]
                            for name in names},
            "right_per_command": {
                name: [sum(sorted(map(tuple, run["commands"][i]["actions"])) == sorted(item["gold"])
                           for run in runs[name]) for i, item in enumerate(items)]
                for name in names
            },
        }  # fmt: skip
        for part_name, part in (("bundled", slice(0, 1)), ("set", slice(1, None))):
            results["results"][part_name] = {
                name: summarise(runs[name], items, part) for name in names
            }
            for stage in ("mqtt_acknowledged", "first_audio"):
                for ours in EDGE_OS:
                    edge = results["results"][part_name][ours]["end_of_speech_to_ms"]
                    for name in SETTINGS:
                        peer = results["results"][part_name][name]["end_of_speech_to_ms"]
                        if edge.get(stage) and peer.get(stage):
                            key = f"p50_ratio_{name.replace('-', '_')}_over_{ours}_{stage}"
                            results["results"][part_name][key] = round(
                                peer[stage]["p50"] / edge[stage]["p50"], 2
                            )
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / "wyoming_peer.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: results[k] for k in ("results", "peak_rss_mb")}, indent=2))
    plot(results, out.with_suffix(".png"))
    return 0


def plot(results: dict[str, Any], out: Path) -> None:
    """End of speech -> PUBACK and -> first audio, p50 with p95 bars, per pipeline."""
    plt = pyplot()
    if plt is None:
        return
    names = (*EDGE_OS, *SETTINGS)
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for axis, part in zip(axes, ("bundled", "set"), strict=True):
        for offset, stage in ((-0.2, "mqtt_acknowledged"), (0.2, "first_audio")):
            p50 = [results["results"][part][n]["end_of_speech_to_ms"].get(stage, {}).get("p50", 0)
                   for n in names]  # fmt: skip
            p95 = [results["results"][part][n]["end_of_speech_to_ms"].get(stage, {}).get("p95", 0)
                   for n in names]  # fmt: skip
            xs = [i + offset for i in range(len(names))]
            axis.bar(xs, p50, 0.4, label=stage.replace("_", " "))
            above = [b - a for a, b in zip(p50, p95, strict=True)]
            axis.errorbar(xs, p50, yerr=[[0] * len(p50), above], fmt="none", ecolor="black",
                          capsize=3)  # fmt: skip
        axis.set_xticks(range(len(names)), names)
        axis.set_ylabel("ms from end of speech (p50, bar to p95)")
        axis.set_title("bundled recording" if part == "bundled" else "20 espeak commands")
        axis.legend()
    figure.tight_layout()
    figure.savefig(out, dpi=100)
    print(f"wrote {out}")


if __name__ == "__main__":
    raise SystemExit(main())
