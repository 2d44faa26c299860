"""``edge-os setup``: the first run, over ssh in an 80x24 terminal, or from a script.

Six steps, each a question with a default (Enter keeps it) and a flag that answers it:

1. microphone (``--input``): the sound cards, then a live level meter for 3 s;
2. speaker (``--output``): a test tone, "did you hear it?";
3. wake word: say it, see the best score against the threshold (``--skip-wake``);
4. broker (``--broker embedded|HOST[:PORT]``, ``--username``, ``--password-file``): an
   external one is tested (connect, subscribe, publish, receive) before it is kept;
5. the room this device stands in and the language (``--area``, ``--language``);
6. the devices Home Assistant or Zigbee2MQTT announce on that broker (``--import-devices``).

Nothing is written until the end; then the config file is changed in place (comments and
order kept, or created), validated, and replaced atomically. Ctrl-C stops without
writing. With ``--yes``, or with no terminal, it asks nothing: flags and defaults answer.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_os.config.loader import discover_config_path
from edge_os.errors import ErrorCode, UsageError

if TYPE_CHECKING:
    from edge_os.audio.format import AudioChunk
    from edge_os.config.settings import Config

STEPS = 6
METER_SECONDS = 3.0
WAKE_SECONDS = 5.0
BAR_WIDTH = 30


def add_parser(commands: Any) -> None:
    """Register ``setup``."""
    parser = commands.add_parser("setup", help="first run: sound, wake word, broker, room")
    parser.add_argument("--input", help="microphone: its number or name (see the list)")
    parser.add_argument("--output", help="speaker: its number or name")
    parser.add_argument("--skip-audio", action="store_true", help="no meter, no test tone")
    parser.add_argument("--skip-wake", action="store_true", help="do not try the wake word")
    parser.add_argument("--broker", help="'embedded' (edge-os's own) or HOST[:PORT]")
    parser.add_argument("--username", help="broker user")
    parser.add_argument("--password-file", type=Path, help="file whose first line is the password")
    parser.add_argument("--area", help="the room this device stands in, e.g. 'Living room'")
    parser.add_argument("--language", help="Home Assistant sentence language, e.g. en, de")
    parser.add_argument(
        "--import-devices", action="store_true", help="add the devices announced on the broker"
    )
    parser.add_argument("--yes", action="store_true", help="ask nothing: flags and defaults")
    parser.set_defaults(handler=_setup)


@dataclass
class Answers:
    """What setup will write, key path -> value."""

    values: dict[tuple[str, ...], Any] = field(default_factory=dict)
    new_area: dict[str, str] | None = None


class Prompt:
    """Questions on the terminal, or their defaults when nobody is there to answer."""

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive

    def ask(self, question: str, default: str) -> str:
        if not self.interactive:
            print(f"  {question} [{default}]: {default}")
            return default
        answer = input(f"  {question} [{default}]: ").strip()
        return answer or default

    def yes(self, question: str, default: bool) -> bool:
        shown = "Y/n" if default else "y/N"
        if not self.interactive:
            print(f"  {question} [{shown}]: {'y' if default else 'n'}")
            return default
        answer = input(f"  {question} [{shown}]: ").strip().lower()
        return default if not answer else answer in {"y", "yes"}


def _step(number: int, title: str) -> None:
    print(f"\n{number}/{STEPS} {title}")


def _devices(kind: str) -> list[tuple[int, str]]:
    """(index, name) of PortAudio's devices with ``kind`` ("input"/"output") channels."""
    try:
        import sounddevice as sd

        found = sd.query_devices()
    except (ImportError, OSError) as err:
        print(f"  no sound system: {err}")
        return []
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    return [(int(d["index"]), str(d["name"])) for d in found if int(d[key]) > 0]


def _choose(prompt: Prompt, kind: str, given: str | None) -> str | int | None:
    devices = _devices(kind)
    for index, name in devices:
        print(f"  {index:>3}  {name}")
    if not devices:
        print(f"  no {kind} device found; keeping the system default")
        return None
    names = {str(index): index for index, _ in devices} | {name: name for _, name in devices}
    default = given if given is not None else str(devices[0][0])
    while True:
        picked = prompt.ask(f"Which {'microphone' if kind == 'input' else 'speaker'}?", default)
        if picked in names:
            return names[picked]
        if not prompt.interactive:
            raise UsageError(
                ErrorCode.AUDIO_DEVICE, f"--{kind} {picked!r}: no such {kind} device (see the list)"
            )
        print(f"  {picked!r} is not in the list")


def _listen(device: str | int | None, seconds: float, block_ms: int) -> Iterator[AudioChunk]:
    """The microphone's chunks for ``seconds`` of audio (or of wall time, if it stalls)."""
    from edge_os.audio.format import SAMPLE_RATE
    from edge_os.audio.sources import MicrophoneSource

    source = MicrophoneSource(device=device, sample_rate=SAMPLE_RATE, channels=1, block_ms=block_ms)
    heard, started = 0, time.monotonic()
    try:
        for chunk in source.chunks():
            yield chunk
            heard += chunk.num_samples
            if heard >= seconds * SAMPLE_RATE or time.monotonic() - started > seconds + 2:
                return
    finally:
        source.close()


def _meter(device: str | int | None, live: bool) -> None:
    """A level bar, updated in place, for :data:`METER_SECONDS`."""
    print(f"  Speak now; the bar shows the level ({METER_SECONDS:.0f} s).")
    peak = -120.0
    for chunk in _listen(device, METER_SECONDS, 100):
        level = chunk.level_dbfs()
        peak = max(peak, level)
        filled = max(0, min(BAR_WIDTH, round((level + 60) / 60 * BAR_WIDTH)))
        if live:
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            print(f"\r  |{bar}| {level:6.1f} dBFS", end="", flush=True)
    if live:
        print()
    if peak < -55:
        print(f"  Peak {peak:.0f} dBFS: that is silence. Check the microphone and its gain.")
    else:
        print(f"  Peak {peak:.0f} dBFS.")


def _tone(device: str | int | None) -> None:
    import numpy as np

    from edge_os.audio.format import AudioChunk, AudioFormat
    from edge_os.config.settings import AudioOutputSettings
    from edge_os.tts.player import create_player

    rate = 22050
    t = np.arange(int(rate * 0.6)) / rate
    wave = (0.3 * 32767 * np.sin(2 * math.pi * 440 * t)).astype("<i2")
    chunk = AudioChunk(wave.tobytes(), AudioFormat(rate=rate, width=2, channels=1))
    player = create_player(AudioOutputSettings(device=device, sample_rate=rate))
    try:
        player.play([chunk])
    finally:
        player.sink.close()


def _wake(config: Config, device: str | int | None, prompt: Prompt) -> None:
    from edge_os.wake.models import resolve
    from edge_os.wake.openwakeword import OpenWakeWord

    detector = OpenWakeWord(resolve(list(config.wake.models)), threshold=config.wake.threshold)
    word = detector.names[0].replace("_", " ")
    while True:
        print(f'  Say "{word}" now ({WAKE_SECONDS:.0f} s).')
        best = 0.0
        for chunk in _listen(device, WAKE_SECONDS, 80):
            detector.process(chunk)
            score = max(detector.last_scores.values(), default=0.0)
            best = max(best, score)
            if prompt.interactive:
                print(f"\r  score {score:4.2f}  best {best:4.2f}", end="", flush=True)
        if prompt.interactive:
            print()
        heard = best >= config.wake.threshold
        print(
            f"  Best score {best:.2f} against the threshold {config.wake.threshold:g}: "
            + ("heard." if heard else "not heard.")
        )
        if heard or not prompt.yes("Try again?", False):
            return
        detector.reset()


def _broker(args: argparse.Namespace, prompt: Prompt, answers: Answers) -> None:
    given = args.broker or "embedded"
    where = prompt.ask("Broker: 'embedded' (edge-os's own) or HOST[:PORT]", given)
    if where == "embedded":
        answers.values[("mqtt", "host")] = None
        print("  edge-os will start its own Mosquitto on loopback, with a login of its own.")
        return
    match = re.fullmatch(r"\[?([\w.:-]+?)\]?(?::(\d{1,5}))?", where)
    if match is None:
        raise UsageError(ErrorCode.CONFIG_INVALID, f"{where!r} is not HOST or HOST:PORT")
    host, port = match.group(1), int(match.group(2) or 1883)
    username = prompt.ask("User (empty for none)", args.username or "") or None
    password_file = None
    if username:
        password_file = prompt.ask("Password file (first line)", str(args.password_file or ""))
    from edge_os.cli.doctor_cmd import probe_broker  # the doctor's own test
    from edge_os.config.settings import Config, MqttSettings

    mqtt = MqttSettings.model_validate(
        {"host": host, "port": port, "username": username, "password_file": password_file or None}
    )
    print(f"  Testing {host}:{port}: connect, subscribe, publish, receive...")
    check = probe_broker(Config(mqtt=mqtt))
    print(f"  {check.status}: {check.message}")
    if check.status == "FAIL":
        raise UsageError(ErrorCode.MQTT_FAILED, f"the broker test failed: {check.message}")
    answers.values[("mqtt", "host")] = host
    answers.values[("mqtt", "port")] = port
    if username:
        answers.values[("mqtt", "username")] = username
        answers.values[("mqtt", "password_file")] = password_file


def _place(args: argparse.Namespace, prompt: Prompt, answers: Answers, config: Config) -> None:
    from home_assistant_intents import get_languages

    current = next((a.name for a in config.areas if a.id == config.site.area), None)
    name = prompt.ask("Where does this device stand?", args.area or current or "Living room")
    known = {a.id: a for a in config.areas}
    match = next(
        (
            a
            for a in config.areas
            if name.lower() in {a.name.lower(), a.id, *(x.lower() for x in a.aliases)}
        ),
        None,
    )
    if match is not None:
        answers.values[("site", "area")] = match.id
    else:
        area_id = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "room"
        while area_id in known:
            area_id += "_2"
        answers.new_area = {"id": area_id, "name": name}
        answers.values[("site", "area")] = area_id
    languages = sorted(get_languages())
    while True:
        language = prompt.ask("Language", args.language or config.site.language)
        if language in languages:
            answers.values[("site", "language")] = language
            return
        if not prompt.interactive:
            raise UsageError(
                ErrorCode.CONFIG_INVALID,
                f"--language {language!r}: no sentences for it (e.g. {', '.join(languages[:8])})",
            )
        print(f"  no sentences for {language!r}; some that have them: {', '.join(languages[:12])}")


def _sound(args: argparse.Namespace, prompt: Prompt, answers: Answers, config: Config) -> None:
    """Steps 1-3: microphone and its level, speaker and a tone, the wake word."""
    _step(1, "Microphone")
    microphone = _choose(prompt, "input", args.input)
    answers.values[("audio", "input", "device")] = microphone
    if not args.skip_audio and microphone is not None:
        _meter(microphone, prompt.interactive)
    _step(2, "Speaker")
    speaker = _choose(prompt, "output", args.output)
    answers.values[("audio", "output", "device")] = speaker
    if not args.skip_audio and speaker is not None:
        print("  Playing a test tone...")
        _tone(speaker)
        if not prompt.yes("Did you hear it?", True):
            print("  Check the volume (alsamixer) or pick another speaker with --output.")
    _step(3, "Wake word")
    if args.skip_wake or microphone is None:
        print("  skipped")
    else:
        _wake(config, microphone, prompt)


def _setup(args: argparse.Namespace) -> int:
    from edge_os.config.edit import ConfigDocument, default_path, yaml_node

    interactive = not args.yes and sys.stdin.isatty()
    prompt = Prompt(interactive)
    path = discover_config_path(args.config) or default_path()
    doc = ConfigDocument.open(path, command="setup")
    config = doc.current()
    if config is None:
        from edge_os.config.loader import load_config

        config = load_config(path) if path.exists() else load_config(None)
    print(f"edge-os setup: {STEPS} steps, then {path} is written. Enter keeps the [default];")
    print("Ctrl-C stops without writing anything.")
    answers = Answers()
    try:
        _sound(args, prompt, answers, config)
        _step(4, "Broker")
        _broker(args, prompt, answers)
        _step(5, "Room and language")
        _place(args, prompt, answers, config)
        _step(6, "Devices")
        external = answers.values.get(("mqtt", "host")) is not None
        question = "Add the devices Home Assistant or Zigbee2MQTT announce?"
        wanted = external and (args.import_devices or prompt.yes(question, False))
        if not external:
            print("  edge-os's own broker: nobody announces devices there yet (`devices add`)")
    except (KeyboardInterrupt, EOFError):
        print("\nstopped; nothing written")
        return 1
    for loc, value in answers.values.items():
        doc.set(loc, value)
    if answers.new_area is not None:
        doc.append(("areas",), yaml_node(answers.new_area))
    saved = doc.save()
    print(f"\nWrote {path}: valid.")
    if wanted:
        _import_devices(path, saved)
    print("Next: `edge-os doctor` checks every link; `edge-os run` starts listening.")
    return 0


def _import_devices(path: Path, config: Config) -> None:
    from edge_os.cli.devices_import import import_into

    added, skipped = import_into(path, config)
    print(f"  added {len(added)} devices announced on the broker ({len(skipped)} skipped)")
