"""The strict base of every config section (devices too), and the checked path and pin types."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo
from pydantic_core import PydanticCustomError

GPIO_PIN_MIN = 0
GPIO_PIN_MAX = 27
"""BCM numbers of the general-purpose pins on the Raspberry Pi 40-pin header."""


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, values are immutable.

    Attribute docstrings become field descriptions, which the configuration reference in the
    README is generated from (``python -m edge_os.config.reference``).
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        validate_default=True,
    )


def _resolve(value: Path, info: ValidationInfo) -> Path:
    """Make a relative path relative to the config file's folder, expand ``~``."""
    value = value.expanduser()
    if not value.is_absolute():
        context: dict[str, Any] = info.context or {}
        base = context.get("base_dir")
        value = (Path(base) if base is not None else Path.cwd()) / value
    return value


def _existing_file(value: Path, info: ValidationInfo) -> Path:
    value = _resolve(value, info)
    if not value.is_file():
        raise PydanticCustomError(
            "file_missing", "file {path} does not exist", {"path": str(value)}
        )
    if not os.access(value, os.R_OK):
        raise PydanticCustomError(
            "file_unreadable", "file {path} is not readable", {"path": str(value)}
        )
    return value


def _gpio_pin(value: int) -> int:
    if not GPIO_PIN_MIN <= value <= GPIO_PIN_MAX:
        raise PydanticCustomError(
            "gpio_pin",
            "{pin} is not a GPIO pin ({low}-{high})",
            {"pin": value, "low": GPIO_PIN_MIN, "high": GPIO_PIN_MAX},
        )
    return value


ResolvedPath = Annotated[Path, AfterValidator(_resolve)]
"""A path; relative ones are taken from the config file's folder."""

ExistingFile = Annotated[Path, AfterValidator(_existing_file)]
"""A readable file; relative paths are taken from the config file's folder."""

GpioPin = Annotated[int, AfterValidator(_gpio_pin)]
"""A BCM GPIO number on the 40-pin header (0-27)."""
