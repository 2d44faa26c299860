"""One action through the real dispatcher and drivers (``edge-os devices test``)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from edge_os.config.settings import Config
from edge_os.devices.entity import Action
from edge_os.drivers.discovery.importer import registry_with_imports
from edge_os.drivers.dispatcher import Dispatcher
from edge_os.drivers.gpio.driver import GpioDriver, make_pin_factory
from edge_os.drivers.mqtt.driver import open_mqtt
from edge_os.stages.outcome import ActionOutcome, ActionRequest, ParamValue

DEFAULT_ACTIONS = (Action.TURN_ON, Action.OPEN, Action.LOCK)


def send_one(
    config: Config,
    entity_id: str,
    action: Action | None,
    params: Mapping[str, ParamValue],
    *,
    confirmed: bool = False,
) -> tuple[ActionOutcome, float, bool]:
    """Send one action; returns the outcome, its latency in ms, and whether it was refused.

    Only the transport the entity needs is started (an embedded broker when
    ``mqtt.host`` is null); a refusal by the registry starts nothing.
    """
    registry = registry_with_imports(config)
    entity = registry.get(entity_id)
    if action is None:
        declared = entity.actions if entity is not None else ()
        action = next((a for a in DEFAULT_ACTIONS if a in declared), Action.TURN_ON)
    request = ActionRequest(entity_id, action, dict(params))
    confirm = config.intent.confirm_sensitive
    if entity is None or action not in entity.actions:
        refusal = Dispatcher(registry, confirm_sensitive=confirm).check(request)
        assert refusal is not None  # unknown entity or undeclared action
        return refusal, 0.0, True
    if entity.transport == "gpio":
        driver = GpioDriver([entity], make_pin_factory(config.gpio.pin_factory))
        try:
            dispatcher = Dispatcher(registry, gpio=driver, confirm_sensitive=confirm)
            return _timed(dispatcher, request, confirmed)
        finally:
            driver.close()
    with open_mqtt(config, [entity]) as mqtt:
        return _timed(
            Dispatcher(registry, mqtt=mqtt, confirm_sensitive=confirm), request, confirmed
        )


def _timed(
    dispatcher: Dispatcher, request: ActionRequest, confirmed: bool
) -> tuple[ActionOutcome, float, bool]:
    start = time.perf_counter()
    outcome = dispatcher.execute(request, confirmed=confirmed)
    return outcome, (time.perf_counter() - start) * 1000, False
