"""Everything the voice loop needs, built once from a config and closed in order.

Models load here, once, at start: the wake word and VAD (front end), Whisper, the intent
engine (and the LLM fallback when built), the Piper voice. Drivers connect here too: MQTT
(on the embedded broker when ``mqtt.host`` is null) and GPIO (MockFactory off a Pi).
The durable timer table (``<state_dir>/schedule.sqlite3``) opens here too; the service
fires its due timers and delayed commands.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from edge_os.config.settings import Config
from edge_os.devices.registry import DeviceRegistry
from edge_os.pipeline.command import CommandPipeline
from edge_os.runtime.memory import release_heap
from edge_os.stages.protocols import IntentRecognizer

if TYPE_CHECKING:
    from edge_os.apps.book import AppBook
    from edge_os.drivers.gpio.driver import GpioDriver
    from edge_os.drivers.mqtt.driver import MqttDriver
    from edge_os.intent.engine import IntentEngine
    from edge_os.pipeline.frontend import FrontEnd
    from edge_os.tts.factory import Voice
    from edge_os.tts.player import Player

_LOGGER = logging.getLogger(__name__)


@dataclass
class Assistant:
    """The loaded stages and connected drivers of one edge-os instance."""

    config: Config
    registry: DeviceRegistry
    frontend: FrontEnd | None
    command: CommandPipeline
    mqtt: MqttDriver | None
    gpio: GpioDriver | None
    player: Player | None = None
    """The speaker the answers, earcons and ``say`` go to (None without one)."""
    voice: Voice | None = None
    """The text-to-speech voice (None without a speaker)."""
    load_ms: dict[str, float] = field(default_factory=dict)
    """Wall time spent loading each part at start."""
    fallback: IntentRecognizer | None = None
    """The LLM fallback (a LazyRecognizer unless ``intent.llm_load`` is eager)."""

    def unload_idle(self) -> bool:
        """Free the lazily loaded LLM when it has been idle long enough."""
        unload = getattr(self.fallback, "unload_if_idle", None)
        return bool(unload()) if unload is not None else False

    def use_registry(
        self, registry: DeviceRegistry, availability: Callable[[str], bool | None] | None = None
    ) -> None:
        """Act on ``registry`` from now on (declared plus entities imported via discovery).

        Builds a new intent engine over it in the caller's thread (about a second on a Pi),
        then swaps it in with the registry, the dispatcher's registry and the speech-to-text
        vocabulary; a command already running finishes with the old ones. ``availability``
        says whether an imported entity's device last said it is reachable.
        """
        engine = intent_engine(self.config, registry, llm=self.fallback is not None)
        stt = self.command.stt
        biased = getattr(stt, "biased", None)  # Whisper's adapter; other engines keep theirs
        mode = getattr(stt, "bias_mode", "none")
        if biased is not None and mode != "none":
            from edge_os.stt.vocabulary import bias_text, registry_terms

            stt = biased(bias_text(registry_terms(registry)), mode)
        self.registry = registry
        self.command.use_registry(registry, engine, stt, availability)
        self.fallback = engine.fallback

    def state(self, entity_id: str) -> str | None:
        """Last known state of an entity, from MQTT state topics or the GPIO pin."""
        return read_state(self.mqtt, self.gpio, entity_id)


def read_state(mqtt: MqttDriver | None, gpio: GpioDriver | None, entity_id: str) -> str | None:
    """Last known state of an entity, from MQTT state topics or the GPIO pin."""
    if mqtt is not None:
        state = mqtt.state(entity_id)
        if state is not None:
            return state.state
    if gpio is not None:
        return gpio.state(entity_id)
    return None


def intent_engine(config: Config, registry: DeviceRegistry, *, llm: bool) -> IntentEngine:
    """Grammar, then the sentence encoder (when built), then the LLM (when built and ``llm``)."""
    from edge_os.intent.engine import build_engine, lazy_fallback, load_retrieval

    here, language = config.site.area, config.site.language
    return build_engine(
        registry,
        config.intent,
        here,
        fallback=(lazy_fallback(registry, config.intent, config.state_dir) if llm else None),
        language=language,
        retrieval=load_retrieval(registry, config.intent, config.state_dir, here, language),
    )


def load_apps(config: Config, registry: DeviceRegistry, engine: IntentEngine) -> AppBook | None:
    """The apps of ``apps.paths`` and of installed packages (None when there are none),
    checked against the grammar."""
    from edge_os.apps.book import AppBook

    book = AppBook.load(
        config.apps.paths,
        registry,
        disabled=config.apps.disabled,
        understands=lambda text: engine.grammar.recognize(text).understood,
    )
    return book if book.apps else None


@contextmanager
def open_assistant(
    config: Config,
    *,
    listen: bool = True,
    speak: bool = True,
    llm: bool = True,
) -> Iterator[Assistant]:
    """Load and connect everything ``config`` asks for; close it all on exit.

    ``listen`` loads the front end and STT (a hub, ``site.role: hub``, has no microphone:
    STT only); ``speak`` loads the voice and opens the sink; ``llm`` loads the LLM fallback
    when it has been built.
    """
    from edge_os.drivers.discovery.importer import registry_with_imports
    from edge_os.drivers.dispatcher import Dispatcher
    from edge_os.drivers.gpio.driver import GpioDriver, make_pin_factory
    from edge_os.drivers.mqtt.driver import open_mqtt
    from edge_os.scheduler.timers import TimerTable

    registry = registry_with_imports(config)
    load_ms: dict[str, float] = {}

    def timed(name: str, started: float) -> None:
        load_ms[name] = round((time.perf_counter() - started) * 1000, 1)

    with ExitStack() as stack:
        started = time.perf_counter()
        mqtt = stack.enter_context(open_mqtt(config, registry.entities))
        timed("mqtt", started)
        started = time.perf_counter()
        gpio: GpioDriver | None = None
        if any(entity.gpio is not None for entity in registry):
            gpio = GpioDriver(registry.entities, make_pin_factory(config.gpio.pin_factory))
            stack.callback(gpio.close)
        timed("gpio", started)
        dispatcher = Dispatcher(
            registry, mqtt=mqtt, gpio=gpio, confirm_sensitive=config.intent.confirm_sensitive
        )
        frontend = stt = None
        if listen:
            from edge_os.pipeline.frontend import FrontEnd
            from edge_os.stt.whisper import create_stt

            if config.site.role != "hub":
                started = time.perf_counter()
                frontend = FrontEnd.from_config(config)
                timed("wake_vad", started)
            started = time.perf_counter()
            stt = create_stt(config, registry)
            timed("stt", started)
        started = time.perf_counter()
        engine = intent_engine(config, registry, llm=llm)
        timed("intent", started)
        voice = player = None
        if speak:
            from edge_os.tts.factory import create_tts
            from edge_os.tts.player import create_player

            started = time.perf_counter()
            voice = create_tts(
                config.tts, state_dir=config.state_dir, provider=config.runtime.execution_provider
            )
            player = create_player(config.audio.output)
            stack.callback(player.sink.close)
            timed("tts", started)
        timers = TimerTable.open(config.state_dir)
        stack.callback(timers.close)
        assistant = Assistant(
            config=config,
            registry=registry,
            frontend=frontend,
            command=CommandPipeline(
                registry,
                engine,
                dispatcher,
                stt=stt,
                voice=voice,
                player=player,
                area=config.site.area,
                confirm_timeout_seconds=config.intent.confirm_timeout_seconds,
                model_act_confidence=config.intent.model_act_confidence,
                context_seconds=config.intent.context_seconds,
                timers=timers,
                apps=load_apps(config, registry, engine),
                states=partial(read_state, mqtt, gpio),
            ),
            mqtt=mqtt,
            gpio=gpio,
            player=player,
            voice=voice,
            load_ms=load_ms,
            fallback=engine.fallback,
        )
        _LOGGER.info("loaded in %s ms", load_ms)
        release_heap()
        yield assistant
