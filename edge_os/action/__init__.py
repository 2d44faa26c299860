"""Acting on devices: requests, outcomes and the drivers (MQTT, GPIO) that carry them out."""
