"""``edge-os wyoming [--uri tcp://HOST:PORT] [--no-llm]``: serve edge-os over Wyoming.

Home Assistant's Wyoming integration then offers edge-os's speech-to-text, text-to-speech,
wake word and command handling as its own entities. Models load on first use, so the
server answers ``describe`` at once. Wyoming has no authentication: the server binds to
127.0.0.1 unless ``--uri`` says otherwise. SIGTERM or Ctrl-C stop it.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import TYPE_CHECKING, Any

from edge_os.config.loader import discover_config_path, load_config
from edge_os.errors import MissingDependencyError

if TYPE_CHECKING:
    from wyoming.info import Info

    from edge_os.wyoming.engines import Engines

_DESCRIPTION = """\
Serve edge-os's speech-to-text (asr), text-to-speech (tts), wake word (wake), intent
recognition (intent) and command handling (handle) to Wyoming clients such as Home
Assistant: Settings > Devices & services > Add integration > Wyoming Protocol, then this
machine's host and port. Commands carried out over Wyoming come from the source "wyoming":
sensitive devices (locks, garage doors) refuse it unless their sensitive_sources list it.
Wyoming has no authentication: the default address is loopback only."""


def add_parser(commands: Any) -> None:
    """Register ``wyoming``."""
    from edge_os.wyoming import DEFAULT_URI

    parser = commands.add_parser(
        "wyoming",
        help="serve STT, TTS, wake word and commands over the Wyoming protocol",
        description=_DESCRIPTION,
    )
    parser.add_argument(
        "--uri",
        default=DEFAULT_URI,
        metavar="tcp://HOST:PORT",
        help=f"address to listen on (default: {DEFAULT_URI}; port 0 picks a free one). "
        "Wyoming has no authentication: listen beyond loopback only on a network you trust",
    )
    parser.add_argument("--no-llm", action="store_true", help="grammar only, no LLM fallback")
    parser.set_defaults(handler=_wyoming)


def _wyoming(args: argparse.Namespace) -> int:
    try:
        import wyoming  # noqa: F401
    except ImportError:
        raise MissingDependencyError("wyoming", "wyoming") from None
    from edge_os.log import setup_logging
    from edge_os.wyoming.engines import Engines
    from edge_os.wyoming.info import build_info
    from edge_os.wyoming.server import parse_uri

    host, port = parse_uri(args.uri)
    config = load_config(discover_config_path(args.config))
    setup_logging(config.logging.level, config.logging.format)
    engines = Engines(config, llm=not args.no_llm)
    try:
        asyncio.run(_serve(engines, build_info(config), host, port))
    finally:
        engines.close()
    return 0


async def _serve(engines: Engines, info: Info, host: str, port: int) -> None:
    from edge_os.wyoming.server import WyomingServer

    server = WyomingServer(engines, info)
    bound = await server.start(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    shown = f"[{host}]" if ":" in host else host
    print(f"edge-os wyoming: listening on tcp://{shown}:{bound}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()
    print("edge-os wyoming: stopped", file=sys.stderr, flush=True)
