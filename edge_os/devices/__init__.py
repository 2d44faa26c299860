"""The device registry: areas and entities, each bound to one transport."""
