"""A Wyoming server: edge-os's STT, TTS, wake word and command path for Home Assistant.

This module imports nothing from the ``wyoming`` package, so the CLI can name the default
address without it installed.
"""

DEFAULT_PORT = 10700
"""Home Assistant's port for a whole Wyoming voice device (one server, every service)."""
DEFAULT_URI = f"tcp://127.0.0.1:{DEFAULT_PORT}"
"""Loopback only: Wyoming has no authentication."""
