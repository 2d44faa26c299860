"""What edge-os asked a device to do, and what truly happened.

Spoken answers are built from an :class:`ActionOutcome`, never from the request, so
edge-os cannot claim an action that did not happen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from edge_os.devices.entity import Action

ParamValue = str | int | float


@dataclass(frozen=True)
class ActionRequest:
    """One declared action on one declared entity, with typed parameters."""

    entity_id: str
    """Target entity (must exist in the registry)."""
    action: Action
    """Action (must be one the entity declares)."""
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    """Values for the action's payload placeholders (``brightness``: 50, ...)."""


class OutcomeStatus(StrEnum):
    """How an action ended."""

    DONE = "done"
    """The transport confirmed it (MQTT PUBACK, GPIO pin set)."""
    QUEUED = "queued"
    """Stored durably; it will be delivered once the broker is back."""
    FAILED = "failed"
    """It did not happen; ``reason`` says why."""
    NEEDS_CONFIRMATION = "needs-confirmation"
    """A sensitive device: nothing was sent, a spoken "yes" is awaited."""


@dataclass(frozen=True)
class ActionOutcome:
    """The result of one :class:`ActionRequest`."""

    request: ActionRequest
    """What was asked."""
    status: OutcomeStatus
    """What happened."""
    reason: str | None = None
    """Why it failed or is pending, in words a person can hear."""


class DeviceDriver(Protocol):
    """Carries out requests over one transport (MQTT, GPIO)."""

    def execute(self, request: ActionRequest) -> ActionOutcome:
        """Carry out ``request``; never raises for a device problem, returns FAILED."""
        ...
