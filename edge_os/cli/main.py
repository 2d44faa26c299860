"""Entry point of the ``edge-os`` command: argument parsing and error-to-exit-code mapping.

Errors edge-os raises on purpose print one line per problem on stderr, never a traceback;
exit code 2 means "fix your input" (config, arguments), 1 a failure of the machine or a peer.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from edge_os import __version__
from edge_os.cli import (
    apps_cmd,
    bench_cmd,
    config_cmd,
    devices_cmd,
    doctor_cmd,
    eval_cmd,
    listen_cmd,
    logs_cmd,
    models_cmd,
    run_cmd,
    say_cmd,
    setup_cmd,
    speak_cmd,
    status_cmd,
    systemd_cmd,
    wyoming_cmd,
)
from edge_os.errors import EdgeOSError
from edge_os.log import setup_logging
from edge_os.runtime.memory import tune_heap

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used to render the README's command list)."""
    parser = argparse.ArgumentParser(
        prog="edge-os",
        description="On-device voice assistant: wake word, speech-to-text, intents, devices, "
        "speech. No cloud.",
    )
    parser.add_argument("--version", action="version", version=f"edge-os {__version__}")
    parser.add_argument(
        "-c",
        "--config",
        metavar="PATH",
        help="config file (default: $EDGE_OS_CONFIG, ./edge-os.yaml, "
        "~/.config/edge-os/config.yaml, /etc/edge-os/config.yaml, else built-in defaults)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level of this command (default: WARNING)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    apps_cmd.add_parser(commands)
    bench_cmd.add_parser(commands)
    config_cmd.add_parser(commands)
    devices_cmd.add_parser(commands)
    doctor_cmd.add_parser(commands)
    eval_cmd.add_parser(commands)
    listen_cmd.add_parser(commands)
    logs_cmd.add_parser(commands)
    models_cmd.add_parser(commands)
    run_cmd.add_parser(commands)
    say_cmd.add_parser(commands)
    setup_cmd.add_parser(commands)
    speak_cmd.add_parser(commands)
    status_cmd.add_parser(commands)
    systemd_cmd.add_parser(commands)
    wyoming_cmd.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    tune_heap()  # before any model loads: the service's peak RSS (edge_os.runtime.memory)
    handler: Handler = args.handler
    try:
        return handler(args)
    except EdgeOSError as err:
        for line in str(err).splitlines() or [err.code.value]:
            print(f"edge-os: error: {line}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # the CLI's last line of defence: one line, details on request
        _LOGGER.debug("internal error", exc_info=True)
        print(
            f"edge-os: internal error: {type(err).__name__}: {err} "
            "(run with --log-level DEBUG for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
