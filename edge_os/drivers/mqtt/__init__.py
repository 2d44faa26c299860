"""The MQTT driver and what it stands on: connection, broker, durable queue, state cache."""
