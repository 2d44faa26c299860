"""The dispatcher: the only way from a request to a device.

It refuses any entity not in the registry and any action the entity does not declare
(FAILED, nothing sent), and a device that says it is offline (an imported entity's
availability topic), holds sensitive entities until a spoken "yes"
(NEEDS_CONFIRMATION unless ``confirmed``), then routes to the MQTT or GPIO driver.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from edge_os.devices.registry import DeviceRegistry
from edge_os.stages.outcome import ActionOutcome, ActionRequest, DeviceDriver, OutcomeStatus

_LOGGER = logging.getLogger(__name__)


class Dispatcher:
    """Checks requests against the registry and hands them to the entity's transport."""

    def __init__(
        self,
        registry: DeviceRegistry,
        *,
        mqtt: DeviceDriver | None = None,
        gpio: DeviceDriver | None = None,
        confirm_sensitive: bool = True,
        availability: Callable[[str], bool | None] | None = None,
    ) -> None:
        self.registry = registry
        self.drivers: dict[str, DeviceDriver | None] = {"mqtt": mqtt, "gpio": gpio}
        self.confirm_sensitive = confirm_sensitive
        self.availability = availability
        """Whether an entity's device last said it is reachable (None: not known)."""

    def update_registry(
        self,
        registry: DeviceRegistry,
        availability: Callable[[str], bool | None] | None = None,
    ) -> None:
        """Use a new registry (with entities imported via discovery) and, for those, whether
        their devices last said they are reachable."""
        self.registry = registry
        if availability is not None:
            self.availability = availability

    def check(self, request: ActionRequest) -> ActionOutcome | None:
        """The refusal for ``request``, or None when it may be sent."""
        entity = self.registry.get(request.entity_id)
        if entity is None:
            return ActionOutcome(
                request, OutcomeStatus.FAILED, f"there is no device {request.entity_id!r}"
            )
        if request.action not in entity.actions:
            accepted = ", ".join(entity.actions) or "nothing (it is read-only)"
            return ActionOutcome(
                request,
                OutcomeStatus.FAILED,
                f"{entity.name} cannot {request.action.value.replace('_', ' ')} "
                f"(it accepts: {accepted})",
            )
        if self.availability is not None and self.availability(entity.id) is False:
            return ActionOutcome(
                request, OutcomeStatus.FAILED, f"{entity.name} is offline (its device says so)"
            )
        if self.drivers.get(entity.transport) is None:
            return ActionOutcome(
                request, OutcomeStatus.FAILED, f"the {entity.transport} driver is not running"
            )
        return None

    def execute(self, request: ActionRequest, *, confirmed: bool = False) -> ActionOutcome:
        """Carry out ``request`` if the registry allows it; never raises for a device problem."""
        refusal = self.check(request)
        if refusal is not None:
            _LOGGER.info("refused %s %s: %s", request.action, request.entity_id, refusal.reason)
            return refusal
        entity = self.registry.get(request.entity_id)
        assert entity is not None  # check() returned None, so the entity exists
        if entity.is_sensitive and self.confirm_sensitive and not confirmed:
            return ActionOutcome(
                request,
                OutcomeStatus.NEEDS_CONFIRMATION,
                f"{entity.name} is a sensitive device: say yes to confirm",
            )
        driver = self.drivers[entity.transport]
        assert driver is not None
        try:
            outcome = driver.execute(request)
        except Exception as err:  # a driver bug must not take the service down
            _LOGGER.exception("the %s driver failed on %s", entity.transport, request.entity_id)
            return ActionOutcome(request, OutcomeStatus.FAILED, f"the device driver failed: {err}")
        _LOGGER.info("%s %s: %s", request.action, request.entity_id, outcome.status)
        return outcome
