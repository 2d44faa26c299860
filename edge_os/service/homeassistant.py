"""The running service's side of Home Assistant's MQTT integration.

:class:`HomeAssistantLink` wires discovery into ``edge-os run``:

- with ``mqtt.discovery.enabled`` it announces edge-os's own entities
  (:class:`~edge_os.drivers.discovery.publish.DiscoveryPublisher`) at start, after every reconnect
  and whenever Home Assistant says ``online``; with it off, it deletes what an earlier run
  announced;
- with ``mqtt.discovery.import_entities`` it imports what other devices announce
  (:class:`~edge_os.drivers.discovery.importer.DiscoveryImporter`): once the configs stop
  arriving for :data:`IMPORT_SETTLE_SECONDS`, the registry is rebuilt in a worker thread
  (new intent engine, dispatcher registry, STT vocabulary, state topics followed) and saved
  for ``edge-os say`` and ``devices list``; the dispatcher refuses a device whose
  availability topic says it is offline.

:class:`WakeWordSetting` is the wake-word select: the word chosen in Home Assistant is
loaded, listened for (the service swaps it into the front end) and kept in
``<state_dir>/wake_word.json``, so it survives a restart as long as ``wake.models`` in
the config is unchanged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from edge_os.config.settings import BUNDLED_WAKE_WORDS, Config, wake_word_name
from edge_os.devices.entity import Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.drivers.discovery.importer import DiscoveryImporter, cache_path
from edge_os.drivers.discovery.publish import DiscoveryPublisher, retire, wake_word_options

if TYPE_CHECKING:
    from edge_os.pipeline.assistant import Assistant
    from edge_os.stages.protocols import WakeWordDetector

_LOGGER = logging.getLogger(__name__)

IMPORT_SETTLE_SECONDS = 1.0
"""Quiet time after the last imported config before the registry is rebuilt (configs come
in bursts: every retained one right after subscribing)."""


class HomeAssistantLink:
    """Announces edge-os to Home Assistant and imports what other devices announce."""

    def __init__(
        self, assistant: Assistant, *, settle_seconds: float = IMPORT_SETTLE_SECONDS
    ) -> None:
        if assistant.mqtt is None:
            raise ValueError("Home Assistant discovery needs the MQTT driver")
        self.assistant = assistant
        self.config = assistant.config
        self.mqtt = assistant.mqtt
        settings = self.config.mqtt.discovery
        connection = self.mqtt.connection
        self.publisher = DiscoveryPublisher(connection, self.config) if settings.enabled else None
        self.importer: DiscoveryImporter | None = None
        if settings.import_entities:
            declared = DeviceRegistry.from_config(self.config)
            self.importer = DiscoveryImporter(connection, self.config, declared, self._changed)
        self.rebuilds = 0
        """Times the registry was rebuilt with imported entities."""
        self._settle_seconds = settle_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: asyncio.TimerHandle | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="edge-os-registry")
        self._driven: dict[str, Entity] = {}

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Announce (or retire an earlier announcement) and start importing."""
        self._loop = loop
        if self.publisher is not None:
            self.publisher.start()
        else:
            retire(self.mqtt.connection, self.config)
        if self.importer is not None:
            self.importer.start()

    def stop(self) -> None:
        """Stop announcing and importing; wait for a rebuild in progress."""
        self._loop = None
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self.publisher is not None:
            self.publisher.stop()
        if self.importer is not None:
            self.importer.stop()
        self._pool.shutdown(wait=True)

    def _changed(self) -> None:
        """An imported entity came, changed or went (paho's thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._schedule)

    def _schedule(self) -> None:
        if self._loop is None:
            return
        if self._pending is not None:
            self._pending.cancel()
        self._pending = self._loop.call_later(self._settle_seconds, self._submit)

    def _submit(self) -> None:
        self._pending = None
        if self._loop is not None:
            self._pool.submit(self.apply_imports)

    def apply_imports(self) -> None:
        """Rebuild the registry with the imported entities now (worker thread)."""
        importer = self.importer
        if importer is None:
            return
        try:
            registry = importer.registry()
            for entity_id in registry.imported:
                entity = registry[entity_id]
                if self._driven.get(entity_id) != entity:
                    self.mqtt.add_entity(entity)
                    self._driven[entity_id] = entity
            self.assistant.use_registry(registry, importer.available)
            self.rebuilds += 1
            _LOGGER.info(
                "registry: %d declared + %d imported entities",
                len(registry) - len(registry.imported),
                len(registry.imported),
            )
            importer.save(cache_path(self.config))
        except Exception:  # a failed rebuild keeps the previous registry working
            _LOGGER.exception("cannot use the imported entities")


class WakeWordSetting:
    """The wake word chosen in Home Assistant's select, kept across restarts."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.options = wake_word_options(config)
        self._models = {wake_word_name(model): model for model in config.wake.models}
        self._models.update({word: word for word in BUNDLED_WAKE_WORDS if word not in self._models})
        self.path: Path = config.state_dir / "wake_word.json"
        self.chosen = self._saved()
        """The word chosen in Home Assistant, or None: listen for every configured word."""

    @property
    def current(self) -> str:
        """What the select shows: the chosen word, else the first configured."""
        return self.chosen or self.options[0]

    def valid(self, name: str) -> bool:
        """Whether ``name`` is one of the select's options."""
        return name in self._models

    def loaded_at_start(self, name: str) -> bool:
        """Whether the front end built from the config listens for ``name`` alone already."""
        return list(self._models)[: len(self.config.wake.models)] == [name]

    def detector(self, name: str) -> WakeWordDetector:
        """A detector listening for ``name`` only, with the configured settings (loads models)."""
        from edge_os.wake.models import resolve, with_int8
        from edge_os.wake.openwakeword import OpenWakeWord

        wake = self.config.wake
        files = resolve([self._models[name]])
        if wake.int8:
            files = with_int8(files, self.config.state_dir)
        return OpenWakeWord(
            files,
            threshold=wake.threshold,
            patience_frames=wake.patience_frames,
            refractory_seconds=wake.refractory_seconds,
            threads=wake.threads,
            provider=self.config.runtime.execution_provider,
        )

    def choose(self, name: str) -> None:
        """Remember ``name`` as the chosen word (with the configured list it was chosen from)."""
        self.chosen = name
        data = {"wake_word": name, "configured": list(self.config.wake.models)}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(data), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as err:
            _LOGGER.warning("cannot keep the wake word in %s: %s", self.path, err)

    def _saved(self) -> str | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            _LOGGER.warning("cannot read %s (%s); using the configured wake words", self.path, err)
            return None
        if not isinstance(data, dict) or data.get("configured") != list(self.config.wake.models):
            return None  # the config changed since: it wins
        name = data.get("wake_word")
        return name if isinstance(name, str) and self.valid(name) else None
