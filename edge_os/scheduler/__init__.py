"""Timers and delayed commands: a durable table the service fires from its event loop."""
