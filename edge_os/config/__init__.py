"""Typed configuration: settings per stage and the device registry, loaded from YAML.

Import from the submodules (``edge_os.config.loader``, ``edge_os.config.settings``); this
package imports nothing so the device models can share ``edge_os.config.base`` freely.
"""
