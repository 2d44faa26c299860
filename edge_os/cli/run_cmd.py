"""``edge-os run``: the voice loop as a service (systemd starts it as ``edge-os run``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_os.config.loader import discover_config_path, load_config
from edge_os.errors import ErrorCode, UsageError

if TYPE_CHECKING:
    from edge_os.config.settings import Config
    from edge_os.stages.events import Event

_LOGGER = logging.getLogger(__name__)
_EVENTS = logging.getLogger("edge_os.events")


def add_parser(commands: Any) -> None:
    """Register ``run``."""
    parser = commands.add_parser("run", help="run the voice loop (microphone to speaker)")
    parser.add_argument(
        "--input", type=Path, help="read this WAV instead of the configured source (replay)"
    )
    parser.add_argument("--no-llm", action="store_true", help="grammar only, no LLM fallback")
    parser.set_defaults(handler=_run)


EVENT_MARK = "event "
"""Each pipeline event is one log line: ``event <json>`` (what ``edge-os logs`` colours)."""


def log_event(event: Event) -> None:
    """Put a pipeline event in the log (journald under systemd), one JSON line."""
    _EVENTS.info("%s%s", EVENT_MARK, event.to_json())


def _run(args: argparse.Namespace) -> int:
    from edge_os.audio.sources import NoSource, open_source
    from edge_os.drivers.gpio.driver import GpioButtons, make_pin_factory
    from edge_os.log import setup_logging
    from edge_os.pipeline.assistant import open_assistant
    from edge_os.service.loop import VoiceService

    config = load_config(discover_config_path(args.config))
    setup_logging(config.logging.level, config.logging.format)
    role = config.site.role
    if role != "full" and config.mqtt.host is None:
        raise UsageError(
            ErrorCode.CONFIG_INVALID,
            f"site.role is {role}: set mqtt.host to the broker the home's sites share "
            "(edge-os's own embedded broker is private to one machine)",
        )
    if role == "satellite":
        return _run_satellite(config, args.input)
    source = NoSource() if role == "hub" else open_source(config.audio.input, path=args.input)
    with open_assistant(config, llm=not args.no_llm) as assistant:
        service = VoiceService(
            assistant,
            source,
            status_path=config.state_dir / "status.json",
            on_event=log_event,
        )
        buttons = None
        if config.gpio.push_to_talk_pin is not None or config.gpio.mute_pin is not None:
            buttons = GpioButtons(
                config.gpio,
                # one pin factory: the GPIO driver's, when the home has GPIO devices
                assistant.gpio.factory
                if assistant.gpio is not None
                else make_pin_factory(config.gpio.pin_factory),
                on_push_to_talk=service.push_to_talk,
                on_mute=lambda: service.set_muted(not service.muted),
            )
        try:
            asyncio.run(service.run())
        finally:
            if buttons is not None:
                buttons.close()
    return 0


def _run_satellite(config: Config, wav: Path | None) -> int:
    """A satellite: wake word, VAD, speaker; commands go to the hub (``site.role``)."""
    import signal

    from edge_os.audio.sources import open_source
    from edge_os.drivers.mqtt.driver import make_connection
    from edge_os.pipeline.frontend import FrontEnd
    from edge_os.service.satellite import Satellite
    from edge_os.tts.player import create_player

    source = open_source(config.audio.input, path=wav)
    player = create_player(config.audio.output)
    satellite = Satellite(
        config,
        make_connection(config),
        FrontEnd.from_config(config),
        player,
        source,
        status_path=config.state_dir / "status.json",
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: satellite.stop())
    satellite.start()
    _LOGGER.info("satellite %s: listening, commands go to hub %s", config.site.id, config.site.hub)
    try:
        satellite.run()
    finally:
        player.sink.close()
    return 0
