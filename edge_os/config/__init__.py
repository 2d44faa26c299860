"""Typed configuration: settings per stage and the device registry, loaded from YAML.

Import from the submodules (``edge_os.config.loader``, ``edge_os.config.settings``). The
config sits above ``edge_os.devices`` (it holds the entities); both build on
``edge_os.schema``.
"""
