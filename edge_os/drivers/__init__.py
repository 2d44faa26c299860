"""The drivers: how an :class:`~edge_os.stages.outcome.ActionRequest` reaches a device.

- :mod:`~edge_os.drivers.dispatcher` validates a request against the registry and routes it;
- :mod:`~edge_os.drivers.mqtt`: the MQTT driver, with its connection, the embedded broker,
  the durable command queue, the sender, the device-state cache and echo confirmation;
- :mod:`~edge_os.drivers.gpio`: the GPIO driver and the buttons, on gpiozero;
- :mod:`~edge_os.drivers.discovery`: devices announced over MQTT (Home Assistant discovery
  out and in, Zigbee2MQTT);
- :mod:`~edge_os.drivers.payloads`: parameters coerced the same way for every driver.
"""
