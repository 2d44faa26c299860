"""``edge-os listen FILE.wav|- [--json]``: run the front end over a recording, print its events.

With ``--json`` each event is one JSON object per line (the format of the MQTT event
topics); without, one readable line per event. The command audio the front end hands on
at ``speech-end`` is what later stages (speech-to-text, intents) will consume here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from edge_os.audio.format import AudioChunk, AudioFormat
from edge_os.config.loader import discover_config_path, load_config
from edge_os.pipeline.events import Event


def add_parser(commands: Any) -> None:
    """Register ``listen``."""
    parser = commands.add_parser(
        "listen", help="run wake word and VAD on a recording and print its events"
    )
    parser.add_argument(
        "file",
        type=Path,
        help="WAV file (any common rate, width, channels), or - for raw 16-bit PCM on stdin "
        "at audio.input.sample_rate and audio.input.channels",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per event and line")
    parser.set_defaults(handler=_listen)


def describe(event: Event) -> str:
    """One readable line for an event."""
    data = event.to_dict()
    kind = data.pop("type")
    seconds = data.pop("seconds", None)
    where = f"{seconds:8.3f} s  " if seconds is not None else " " * 12
    details = "  ".join(f"{key}={value}" for key, value in data.items())
    return f"{where}{kind:<14} {details}".rstrip()


def run(path: Path, config_path: str | None, out: TextIO, *, as_json: bool) -> int:
    """Drive the front end over ``path``; print events to ``out``; returns the exit code."""
    from edge_os.audio.sources import AudioSource, StdinSource, WavFileSource
    from edge_os.pipeline.frontend import FrontEnd

    config = load_config(discover_config_path(config_path))
    settings = config.audio.input
    source: AudioSource
    if str(path) == "-":
        layout = AudioFormat(rate=settings.sample_rate, width=2, channels=settings.channels)
        source = StdinSource(format=layout, block_ms=settings.block_ms)
    else:
        source = WavFileSource(path, block_ms=settings.block_ms)
    frontend = FrontEnd.from_config(config)
    try:
        for chunk in source.chunks():
            for item in frontend.process(chunk):
                if isinstance(item, AudioChunk):
                    continue  # the command audio: consumed by later stages
                print(item.to_json() if as_json else describe(item), file=out, flush=True)
    finally:
        source.close()
    return 0


def _listen(args: argparse.Namespace) -> int:
    return run(args.file, args.config, sys.stdout, as_json=args.json)
