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
    """The transport confirmed it: GPIO pin set; MQTT success PUBACK (MQTT 5: a subscriber
    was there to take it; 3.1.1: the broker took charge of it)."""
    QUEUED = "queued"
    """Stored durably and not yet confirmed (broker away or slow, or no device subscribed
    yet); it is sent as soon as it can be, unless it gets older than its age limit."""
    FAILED = "failed"
    """It did not happen and will not (refused, invalid, or too old to send: dropped);
    ``reason`` says why."""
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
