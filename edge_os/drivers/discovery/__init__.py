"""Devices announced over MQTT: Home Assistant discovery (published and imported), Zigbee2MQTT."""
