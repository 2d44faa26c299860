"""Swapping the wake word while the service runs (Home Assistant's wake-word select).

The new detector is loaded in a worker thread and swapped into the front end in the front
end's own thread, between two audio blocks; of quick changes in a row the last one wins,
and a word that cannot be loaded leaves the one listened for in place.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from edge_os.errors import EdgeOSError
from edge_os.service.core import ServiceCore
from edge_os.service.homeassistant import WakeWordSetting

_LOGGER = logging.getLogger(__name__)

Listener = Callable[[str], None]
"""Told the wake word listened for, whenever it is (re)stated (loop thread)."""


class WakeWordSwitch:
    """The wake word the front end listens for, and how it changes."""

    def __init__(self, core: ServiceCore) -> None:
        self._core = core
        self.setting = WakeWordSetting(core.assistant.config)
        self.word = self.setting.options[0]
        """The wake word the front end listens for (the select's state)."""
        self._requested = self.setting.chosen
        self._listeners: list[Listener] = []

    @property
    def offered(self) -> bool:
        """Whether the word can be changed here (only with a front end)."""
        return self._core.assistant.frontend is not None

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` with the word whenever it is stated."""
        self._listeners.append(listener)

    def start(self) -> None:
        """State the word; load the one chosen earlier if it is not the default (loop)."""
        self._announce()
        chosen = self.setting.chosen
        loop = self._core.loop
        if chosen is None or not self.offered or loop is None:
            return
        if self.setting.loaded_at_start(chosen):
            self._changed(chosen)
        else:
            loop.run_in_executor(None, self._load, chosen)

    def choose(self, name: str) -> None:
        """Listen for ``name`` only; kept across restarts (loop thread)."""
        if not self.setting.valid(name):
            options = ", ".join(self.setting.options)
            _LOGGER.warning("ignoring unknown wake word %r (expected one of: %s)", name, options)
            self._announce()  # Home Assistant shows the word still listened for
            return
        loop = self._core.loop
        if name == self.setting.chosen or loop is None:
            self._announce()
            return
        self._requested = name  # of quick changes in a row, the last one wins
        loop.run_in_executor(None, self._load, name)

    def _load(self, name: str) -> None:
        """Worker thread: load the detector, then swap it in from the front end's thread."""
        try:
            detector = self.setting.detector(name)
        except EdgeOSError as err:
            _LOGGER.error("cannot listen for %s: %s", name, err)
            self._core.threadsafe(self._announce)()
            return
        except Exception:  # an onnxruntime failure: keep the word listened for
            _LOGGER.exception("cannot load the wake word %s", name)
            self._core.threadsafe(self._announce)()
            return
        frontend = self._core.assistant.frontend
        assert frontend is not None  # offered only with a front end

        def swap() -> None:
            if self._requested != name:
                return  # another word was asked for meanwhile
            frontend.wake = detector
            self._core.threadsafe(self._changed)(name)

        if not self._core.closing:
            with contextlib.suppress(RuntimeError):  # the service stopped meanwhile
                self._core.in_frontend(swap)

    def _changed(self, name: str) -> None:
        self.setting.choose(name)
        self.word = name
        _LOGGER.info("listening for the wake word %s", name)
        self._announce()

    def _announce(self) -> None:
        for listener in self._listeners:
            listener(self.word)
