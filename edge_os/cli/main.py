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
from edge_os.cli import config_cmd, devices_cmd, eval_cmd, systemd_cmd
from edge_os.errors import EdgeOSError, NotAvailableError
from edge_os.log import setup_logging

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace], int]

RESERVED: dict[str, tuple[str, int]] = {
    "run": ("run the voice loop as a service (microphone to speaker)", 8),
    "say": ("turn a text command into an intent and act on it", 5),
    "listen": ("run the pipeline on a recording and print its events as JSON", 3),
    "bench": ("benchmark every stage on this machine (JSON out)", 8),
    "models": ("list, verify, build and quantize the models in the manifest", 9),
}
"""Commands whose issue has not landed yet: (help text, issue number)."""


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
    config_cmd.add_parser(commands)
    devices_cmd.add_parser(commands)
    eval_cmd.add_parser(commands)
    systemd_cmd.add_parser(commands)
    for name, (help_text, issue) in RESERVED.items():
        reserved = commands.add_parser(name, help=f"{help_text} (not yet available)")
        reserved.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        reserved.set_defaults(handler=_not_available(name, issue))
    return parser


def _not_available(name: str, issue: int) -> Handler:
    def handler(_: argparse.Namespace) -> int:
        raise NotAvailableError(
            f"'edge-os {name}' is not available yet (it lands with issue #{issue})"
        )

    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
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
