"""``edge-os run``: the voice loop as a service (systemd starts it as ``edge-os run``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_os.config.loader import discover_config_path, load_config

if TYPE_CHECKING:
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
    from edge_os.audio.sources import open_source
    from edge_os.drivers.gpio.driver import GpioButtons, make_pin_factory
    from edge_os.log import setup_logging
    from edge_os.pipeline.assistant import open_assistant
    from edge_os.service.loop import VoiceService

    config = load_config(discover_config_path(args.config))
    setup_logging(config.logging.level, config.logging.format)
    source = open_source(config.audio.input, path=args.input)
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
