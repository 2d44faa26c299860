"""``edge-os doctor``: check each link of the chain, one line each, with what to do.

Checks run in order (config, models, audio, broker, wake word, registry, learned reader,
state folder, GPIO, memory and disk, the systemd unit and its last errors, the last wake);
each is OK, WARN (works, but not as well as it could) or FAIL (this stops
edge-os from working). Exit 0 when nothing FAILs, 1 otherwise; ``--json`` for scripts.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from edge_os.cli import doctor_host
from edge_os.cli.doctor_types import Check
from edge_os.config.loader import discover_config_path, load_config
from edge_os.config.settings import BUNDLED_WAKE_WORDS, Config
from edge_os.errors import ConfigError, EdgeOSError

BROKER_TIMEOUT_SECONDS = 3.0
"""How long the broker check waits for the connection and for its own message to return."""


def add_parser(commands: Any) -> None:
    """Register ``doctor``."""
    parser = commands.add_parser(
        "doctor", help="check config, models, audio, broker, wake word, devices; say what to fix"
    )
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.set_defaults(handler=_doctor)


def run_checks(explicit: str | None) -> list[Check]:
    """Every check, in order; the later ones are skipped when the config does not load."""
    path = discover_config_path(explicit)
    try:
        config = load_config(path)
    except ConfigError as err:
        problem = str(err).splitlines()[0]
        more = f" (and {len(err.issues) - 1} more)" if len(err.issues) > 1 else ""
        checks = [
            Check("config", "FAIL", f"{problem}{more}: fix it, then `edge-os config validate`")
        ]
        return checks + [Check(name, "SKIP", "config not loaded") for name, _ in CHECKS]
    if path is None:
        first = Check(
            "config",
            "WARN",
            "no config file: built-in defaults (create one with `edge-os config set site.area ...`"
            " or `edge-os devices add ...`)",
        )
    else:
        first = Check(
            "config",
            "OK",
            f"{path}: valid ({len(config.entities)} entities in {len(config.areas)} areas)",
        )
    checks = [first]
    for name, run in CHECKS:
        try:
            checks.append(run(config))
        except EdgeOSError as err:
            checks.append(Check(name, "FAIL", str(err)))
    return checks


def _models(config: Config) -> Check:
    from edge_os.models.manifest import load_manifest, models_dir
    from edge_os.models.store import verify

    manifest = load_manifest()
    names = ["wake-melspectrogram", "wake-embedding"]
    names += [f"wake-{word}" for word in config.wake.models if word in BUNDLED_WAKE_WORDS]
    names += ["vad-silero-v6", f"stt-{config.stt.model}"]
    voice = f"tts-{config.tts.voice}"
    optional = {voice} if config.tts.engine == "piper" else set()
    known = {model.name for model in manifest.models}
    folder = models_dir(config.state_dir)
    bad: list[str] = []
    weak: list[str] = []
    for name in [*names, *sorted(optional & known)]:
        result = verify(manifest.get(name), folder)
        if result.status != "ok":
            (weak if name in optional else bad).append(f"{name} {result.status}: {result.hint}")
    if bad:
        return Check("models", "FAIL", "; ".join(bad))
    if weak:
        return Check("models", "WARN", "; ".join(weak) + " (answers use espeak-ng meanwhile)")
    count = len(names) + len(optional & known)
    return Check("models", "OK", f"{count} models installed, sha256 as in the manifest")


def _audio(config: Config) -> Check:
    uses_card = (
        config.audio.input.source == "sounddevice" or config.audio.output.sink == "sounddevice"
    )
    if not uses_card:
        where = f"input {config.audio.input.source}, output {config.audio.output.sink}"
        return Check("audio", "OK", f"no sound card used ({where})")
    try:
        import sounddevice
    except (ImportError, OSError) as err:
        return Check(
            "audio", "WARN", f"sounddevice unavailable ({err}): pip install 'edge-os[audio]'"
        )
    try:
        devices = list(sounddevice.query_devices())
    except Exception as err:  # PortAudio reports its own errors
        return Check("audio", "WARN", f"cannot list sound cards: {err}")
    inputs = [d["name"] for d in devices if d.get("max_input_channels", 0) > 0]
    outputs = [d["name"] for d in devices if d.get("max_output_channels", 0) > 0]
    missing = []
    if config.audio.input.source == "sounddevice" and not inputs:
        missing.append("no microphone")
    if config.audio.output.sink == "sounddevice" and not outputs:
        missing.append("no speaker")
    if missing:
        return Check(
            "audio",
            "WARN",
            f"{' and '.join(missing)} found (plug one in; is the user in the 'audio' group?)",
        )
    return Check("audio", "OK", f"{len(inputs)} inputs, {len(outputs)} outputs")


def _broker(config: Config) -> Check:
    settings = config.mqtt
    if settings.host is None:
        from edge_os.drivers.mqtt.broker import find_mosquitto

        binary = find_mosquitto()  # DeviceError naming the package when it is missing
        return Check("broker", "OK", f"mqtt.host is null: edge-os starts its own ({binary})")
    return probe_broker(config)


def probe_broker(config: Config) -> Check:
    """Connect as the config says, subscribe, publish and receive one message."""
    from edge_os.drivers.mqtt.connection import tool_client

    settings = config.mqtt
    where = f"{settings.host}:{settings.port}"
    client = tool_client(settings, f"edge-os-{config.site.id}-doctor-{os.getpid()}")
    topic = f"{settings.topic_prefix}/{config.site.id}/doctor/{os.getpid()}"
    answer: dict[str, Any] = {}
    connected, echoed = threading.Event(), threading.Event()

    def on_connect(cl: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        answer["reason"] = reason
        if not reason.is_failure:
            cl.subscribe(topic, qos=1)
        connected.set()

    def on_subscribe(cl: Any, userdata: Any, mid: Any, codes: Any, props: Any) -> None:
        cl.publish(topic, b"doctor", qos=1)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = lambda cl, userdata, message: echoed.set()
    try:
        client.connect(settings.host or "", settings.port, keepalive=10)
    except OSError as err:
        return Check("broker", "FAIL", f"cannot reach {where}: {err} (check mqtt.host/port)")
    client.loop_start()
    try:
        if not connected.wait(BROKER_TIMEOUT_SECONDS):
            return Check("broker", "FAIL", f"{where} did not answer the login (is it MQTT?)")
        reason = answer["reason"]
        if reason.is_failure:
            return Check(
                "broker",
                "FAIL",
                f"{where} refused the login: {reason} (check mqtt.username, mqtt.password_file)",
            )
        if not echoed.wait(BROKER_TIMEOUT_SECONDS):
            return Check(
                "broker", "FAIL", f"{where}: connected, but {topic} did not come back (ACL?)"
            )
    finally:
        client.disconnect()
        client.loop_stop()
    return Check(
        "broker", "OK", f"{where}: connected (MQTT {settings.protocol}), published, received"
    )


def _wake(config: Config) -> Check:
    from edge_os.runtime.onnx import create_session
    from edge_os.wake.models import resolve

    started = time.monotonic()
    try:
        files = resolve(list(config.wake.models))
        for path in (files.melspectrogram, files.embedding, *files.classifiers.values()):
            create_session(path, threads=1, provider="cpu", name=f"wake {path.stem}")
    except ImportError as err:
        return Check("wake", "FAIL", f"{err.name} missing: pip install 'edge-os[wake]'")
    elapsed = (time.monotonic() - started) * 1000
    return Check("wake", "OK", f"{', '.join(files.classifiers)} loaded in {elapsed:.0f} ms")


def _registry(config: Config) -> Check:
    from edge_os.cli.devices_cmd import START_HINT
    from edge_os.drivers.discovery.importer import registry_with_imports

    registry = registry_with_imports(config)
    count = len(list(registry))
    if not count:
        return Check("registry", "WARN", START_HINT)
    imported = f", {len(registry.imported)} imported" if registry.imported else ""
    return Check("registry", "OK", f"{count} entities{imported}")


def _reader(config: Config) -> Check:
    if not config.intent.retrieval:
        return Check("reader", "OK", "off (intent.retrieval: false): the grammar alone")
    from edge_os.intent.embed.build import default_out_dir
    from edge_os.intent.embed.encoder import check_model_dir

    folder = default_out_dir(config.state_dir)
    try:
        check_model_dir(folder)
    except EdgeOSError:
        return Check(
            "reader",
            "WARN",
            f"sentence encoder not built in {folder}: run `edge-os models build embed` "
            "(until then only the grammar understands)",
        )
    return Check("reader", "OK", f"sentence encoder built ({folder})")


def _state_dir(config: Config) -> Check:
    folder: Path = config.state_dir
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return Check("state_dir", "FAIL", f"{folder}: {existing} is not a folder (set state_dir)")
    try:
        if existing == folder:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
                pass
        elif not os.access(existing, os.W_OK | os.X_OK):
            raise PermissionError(f"cannot create it in {existing}")
    except OSError as err:
        return Check(
            "state_dir",
            "FAIL",
            f"{folder} is not writable ({err}): chown it to the service's user, or set state_dir",
        )
    made = "" if existing == folder else " (created at the first start)"
    return Check("state_dir", "OK", f"{folder} writable{made}")


CHECKS: list[tuple[str, Callable[[Config], Check]]] = [
    ("models", _models),
    ("audio", _audio),
    ("broker", _broker),
    ("wake", _wake),
    ("registry", _registry),
    ("reader", _reader),
    ("state_dir", _state_dir),
    ("gpio", doctor_host.gpio),
    ("resources", doctor_host.resources),
    ("service", doctor_host.service),
    ("last_wake", doctor_host.last_wake),
]
"""The checks after the config's own, in the order they are run and printed."""


def _doctor(args: argparse.Namespace) -> int:
    checks = run_checks(args.config)
    failed = any(check.status == "FAIL" for check in checks)
    if args.json:
        print(json.dumps({"ok": not failed, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        for check in checks:
            print(f"{check.status:<4}  {check.name:<9}  {check.message}")
    return 1 if failed else 0
