"""edge-os: an on-device voice assistant where the LLM can only call declared devices."""

__version__ = "0.1.0"
