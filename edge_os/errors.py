"""One exception tree for edge-os, with stable machine-readable codes.

Every error carries a :class:`ErrorCode`; codes never change meaning once released, so
events, MQTT error payloads and scripts can key on them. The service turns these errors
into events and keeps running; the CLI turns them into one line on stderr and an exit code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable error codes (kebab-case, like Home Assistant's assist pipeline codes)."""

    CONFIG_NOT_FOUND = "config-not-found"
    CONFIG_UNREADABLE = "config-unreadable"
    CONFIG_SYNTAX = "config-syntax"
    CONFIG_INVALID = "config-invalid"
    NOT_AVAILABLE = "not-available"
    MISSING_DEPENDENCY = "missing-dependency"
    AUDIO_FORMAT = "audio-format"
    AUDIO_DEVICE = "audio-device"
    WAKE_FAILED = "wake-failed"
    VAD_FAILED = "vad-failed"
    STT_FAILED = "stt-failed"
    INTENT_FAILED = "intent-failed"
    DEVICE_UNKNOWN = "device-unknown"
    ACTION_FAILED = "action-failed"
    MQTT_FAILED = "mqtt-failed"
    GPIO_FAILED = "gpio-failed"
    TTS_FAILED = "tts-failed"
    MODEL_MISSING = "model-missing"
    MODEL_CHECKSUM = "model-checksum"
    STAGE_TIMEOUT = "stage-timeout"


class EdgeOSError(Exception):
    """Base of every error edge-os raises on purpose.

    ``exit_code`` is what the CLI exits with: 2 for anything the user can fix in their
    input (config, arguments, audio files), 1 for failures of the machine or a peer.
    """

    exit_code: int = 1

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(EdgeOSError):
    """The user asked for something edge-os cannot do as asked."""

    exit_code = 2


class NotAvailableError(UsageError):
    """A reserved command or feature that has not landed yet."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.NOT_AVAILABLE, message)


class MissingDependencyError(UsageError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            ErrorCode.MISSING_DEPENDENCY,
            f"{module} is not installed: install it with `pip install 'edge-os[{extra}]'`",
        )
        self.module = module
        self.extra = extra


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a configuration file, located by file, line and key path."""

    file: str
    """Path of the file as the user gave it ("<defaults>" for built-in settings)."""
    key_path: str
    """Dotted key path with list indices, e.g. ``entities[2].gpio.pin``; empty for the root."""
    message: str
    """What was wrong and what was expected."""
    line: int | None = None
    """1-based line in ``file`` where the key or value stands, when known."""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.key_path}: {self.message}"
            if self.key_path
            else (f"{where}: {self.message}")
        )


class ConfigError(UsageError):
    """A configuration or device-registry file cannot be used.

    ``issues`` holds one :class:`ConfigIssue` per problem so callers can print each on its
    own line (``file:line: key.path: what was expected``).
    """

    def __init__(self, code: ErrorCode, issues: Sequence[ConfigIssue]) -> None:
        super().__init__(code, "\n".join(str(issue) for issue in issues))
        self.issues = tuple(issues)


class AudioError(EdgeOSError):
    """Audio input or output failed (format, device, file)."""


class WakeWordError(EdgeOSError):
    """The wake-word stage failed."""


class VadError(EdgeOSError):
    """The voice-activity stage failed."""


class SttError(EdgeOSError):
    """The speech-to-text stage failed."""


class IntentError(EdgeOSError):
    """The intent stage failed (not "not understood": that is a result, not an error)."""


class DeviceError(EdgeOSError):
    """A device action could not be carried out."""


class TtsError(EdgeOSError):
    """The text-to-speech stage failed."""


class ModelError(EdgeOSError):
    """A model file is missing or does not match its manifest checksum."""
