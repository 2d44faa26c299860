"""``edge-os listen FILE.wav|- [--json]``: the whole voice loop over a recording.

Wake word -> VAD -> speech-to-text -> intent -> device action -> spoken answer, exactly as
the service runs it, printing one event per line (``--json``: the format of the MQTT
event topics) and the time each stage took. With no broker configured the actions go to
an embedded Mosquitto on loopback; GPIO uses gpiozero's MockFactory off a Pi; the answer
is synthesized into ``--reply-wav`` or nowhere. ``--front-end-only`` stops after the VAD.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from edge_os.audio.format import AudioFormat
from edge_os.config.loader import discover_config_path, load_config
from edge_os.config.settings import Config
from edge_os.pipeline.command import replay
from edge_os.stages.events import Event


def add_parser(commands: Any) -> None:
    """Register ``listen``."""
    parser = commands.add_parser(
        "listen", help="run the whole voice loop on a recording and print its events"
    )
    parser.add_argument(
        "file",
        type=Path,
        help="WAV file (any common rate, width, channels), or - for raw 16-bit PCM on stdin "
        "at audio.input.sample_rate and audio.input.channels",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per event and line")
    parser.add_argument(
        "--front-end-only", action="store_true", help="only wake word and VAD (no models after)"
    )
    parser.add_argument("--reply-wav", type=Path, help="write the spoken answers to this WAV")
    parser.add_argument("--no-llm", action="store_true", help="grammar only, no LLM fallback")
    parser.set_defaults(handler=_listen)


def describe(event: Event) -> str:
    """One readable line for an event."""
    data = event.to_dict()
    kind = data.pop("type")
    seconds = data.pop("seconds", None)
    where = f"{seconds:8.3f} s  " if seconds is not None else " " * 12
    details = "  ".join(f"{key}={value}" for key, value in data.items())
    return f"{where}{kind:<14} {details}".rstrip()


def with_reply_sink(config: Config, reply_wav: Path | None) -> Config:
    """``config`` with answers going to ``reply_wav`` (or nowhere), never a sound card."""
    output = config.audio.output.model_copy(
        update={"sink": "file" if reply_wav else "null", "file": reply_wav}
    )
    audio = config.audio.model_copy(update={"output": output})
    return config.model_copy(update={"audio": audio})


def run(
    path: Path,
    config_path: str | None,
    out: TextIO,
    *,
    as_json: bool,
    front_end_only: bool = False,
    reply_wav: Path | None = None,
    llm: bool = True,
) -> int:
    """Drive the pipeline over ``path``; print events to ``out``; returns the exit code."""
    from edge_os.audio.sources import AudioSource, StdinSource, WavFileSource

    config = load_config(discover_config_path(config_path))
    settings = config.audio.input
    source: AudioSource
    if str(path) == "-":
        layout = AudioFormat(rate=settings.sample_rate, width=2, channels=settings.channels)
        source = StdinSource(format=layout, block_ms=settings.block_ms)
    else:
        source = WavFileSource(path, block_ms=settings.block_ms)

    def emit(event: Event) -> None:
        print(event.to_json() if as_json else describe(event), file=out, flush=True)

    try:
        if front_end_only:
            from edge_os.pipeline.frontend import FrontEnd

            replay(source.chunks(), FrontEnd.from_config(config), None, emit)
            return 0
        from edge_os.drivers.mqtt.driver import cli_session
        from edge_os.pipeline.assistant import open_assistant

        # a client id, queue and availability of its own: the running service stays connected
        with (
            cli_session(with_reply_sink(config, reply_wav)) as own,
            open_assistant(own, llm=llm) as assistant,
        ):
            assert assistant.frontend is not None  # open_assistant(listen=True) loads it
            replay(source.chunks(), assistant.frontend, assistant.command, emit)
    finally:
        source.close()
    return 0


def _listen(args: argparse.Namespace) -> int:
    return run(
        args.file,
        args.config,
        sys.stdout,
        as_json=args.json,
        front_end_only=args.front_end_only,
        reply_wav=args.reply_wav,
        llm=not args.no_llm,
    )
