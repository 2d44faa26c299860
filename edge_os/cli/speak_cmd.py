"""``edge-os speak "TEXT" [--out FILE.wav] [--json]``: say a text with the configured voice.

Plays on the configured output (``audio.output``), or writes a WAV file with ``--out``
(full volume, in the voice's own format). ``--json`` prints ``chunks``,
``audio_seconds``, ``first_audio_ms`` (from the start of synthesis to the first block
handed to the sink), ``total_ms``, ``load_ms`` and ``engine``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from edge_os.config.loader import discover_config_path, load_config
from edge_os.errors import ErrorCode, UsageError


def add_parser(commands: Any) -> None:
    """Register ``speak``."""
    parser = commands.add_parser("speak", help="say a text with the configured voice")
    parser.add_argument("text", help="what to say (several sentences stream one by one)")
    parser.add_argument(
        "--out", type=Path, metavar="FILE.wav", help="write a WAV file instead of playing"
    )
    parser.add_argument("--json", action="store_true", help="print timings as JSON")
    parser.set_defaults(handler=_speak)


def run(text: str, config_path: str | None, out: TextIO, *, wav: Path | None, as_json: bool) -> int:
    """Synthesize and play (or write) ``text``; print a summary to ``out``; the exit code."""
    from edge_os.tts.factory import create_tts
    from edge_os.tts.player import create_player

    if not text.strip():
        raise UsageError(ErrorCode.TTS_FAILED, "nothing to say: the text is empty")
    config = load_config(discover_config_path(config_path))
    output = config.audio.output
    started = time.perf_counter()
    tts = create_tts(
        config.tts, state_dir=config.state_dir, provider=config.runtime.execution_provider
    )
    load_ms = (time.perf_counter() - started) * 1000.0
    player = create_player(output, wav)
    try:
        result = player.play(tts.synthesize(text))
    finally:
        player.sink.close()
    if result.error is not None:
        raise result.error
    summary = {
        "chunks": result.chunks,
        "audio_seconds": result.audio_seconds,
        "first_audio_ms": None
        if result.first_audio_ms is None
        else round(result.first_audio_ms, 1),
        "total_ms": round(result.total_ms, 1),
        "load_ms": round(load_ms, 1),
        "engine": tts.engine,
        "voice": tts.name,
        "out": None if wav is None else str(wav),
    }
    if as_json:
        print(json.dumps(summary), file=out)
    else:
        where = f"wrote {wav}" if wav is not None else f"played on {output.sink}"
        print(
            f"{where}: {result.chunks} chunk(s), {result.audio_seconds:.2f} s of audio, "
            f"first audio after {summary['first_audio_ms']} ms ({tts.engine}, {tts.name})",
            file=out,
        )
    return 0


def _speak(args: argparse.Namespace) -> int:
    return run(args.text, args.config, sys.stdout, wav=args.out, as_json=args.json)
