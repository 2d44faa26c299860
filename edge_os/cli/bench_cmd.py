"""``edge-os bench [--json]``: end of speech -> device command and -> first audio, here."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from edge_os.config.loader import discover_config_path, load_config


def add_parser(commands: Any) -> None:
    """Register ``bench``."""
    parser = commands.add_parser(
        "bench", help="measure the whole loop on a recording: latency per stage, peak RSS (JSON)"
    )
    parser.add_argument(
        "--recording",
        type=Path,
        nargs="+",
        help="WAV(s) with wake word + command (a set: each in turn)",
    )
    parser.add_argument("--repeat", type=int, default=10, help="times to play each (default 10)")
    llm = parser.add_mutually_exclusive_group()
    llm.add_argument(
        "--llm", action="store_true", help="load the LLM fallback at start (worst-case memory)"
    )
    llm.add_argument("--no-llm", action="store_true", help="leave the LLM fallback out")
    parser.add_argument(
        "--fast",
        action="store_true",
        help="play the audio as fast as it is read, nothing transcribed at a pause "
        "(default: at the pace it was spoken, as from a microphone)",
    )
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    parser.set_defaults(handler=_bench)


def _bench(args: argparse.Namespace) -> int:
    from edge_os.drivers.mqtt.driver import cli_session
    from edge_os.service.bench import DEMO_RECORDING, run_bench

    config = load_config(discover_config_path(args.config))
    # a client id, queue and availability of its own: a running service stays connected
    with cli_session(config) as own:
        result = run_bench(
            own,
            args.recording or DEMO_RECORDING,
            repeat=max(1, args.repeat),
            llm=True if args.llm else False if args.no_llm else None,
            paced=not args.fast,
        )
    text = json.dumps(result) if args.json else json.dumps(result, indent=2)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(text)
    return 0
