"""What the server answers to ``describe``: its programs, models and languages.

Built once from the config without loading a model, so ``describe`` is instant. A program
whose runtime or model files are missing is listed with ``installed: false``, which Home
Assistant reads as "not offered".
"""

from __future__ import annotations

import importlib.util
import logging
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    HandleModel,
    HandleProgram,
    Info,
    IntentModel,
    IntentProgram,
    TtsProgram,
    TtsVoice,
    WakeModel,
    WakeProgram,
)

from edge_os import __version__
from edge_os.config.settings import BUNDLED_WAKE_WORDS, Config, wake_word_name
from edge_os.errors import EdgeOSError

_LOGGER = logging.getLogger(__name__)

PROGRAM = "edge-os"
"""Name of every program the server offers (Home Assistant names its entities after it)."""
EDGE_OS = Attribution(name="edge-os", url="")
_WHISPER = Attribution(name="OpenAI", url="https://github.com/openai/whisper")
_PIPER = Attribution(name="Rhasspy", url="https://github.com/rhasspy/piper")
_ESPEAK = Attribution(name="espeak-ng", url="https://github.com/espeak-ng/espeak-ng")
_OPENWAKEWORD = Attribution(name="dscripka", url="https://github.com/dscripka/openWakeWord")
_INTENTS = Attribution(name="Open Home Foundation", url="https://github.com/home-assistant/intents")
_VOICE_LANGUAGE = re.compile(r"^([a-z]{2,3}_[A-Z]{2})-")


def build_info(config: Config) -> Info:
    """The ``info`` event's content for ``config`` (cheap: file checks, no model loads)."""
    language = config.site.language
    stt_ok = _installed("speech-to-text", _stt_check(config))
    tts_ok, voice_name, voice_language = _tts(config)
    wake_ok = _installed("wake word", _wake_check(config))
    intent_ok = all(_has(module) for module in ("hassil", "home_assistant_intents"))
    stt_languages = ["en"] if config.stt.model.endswith(".en") else [language]
    wake_models = [
        WakeModel(
            name=wake_word_name(name),
            attribution=_OPENWAKEWORD if name in BUNDLED_WAKE_WORDS else EDGE_OS,
            installed=wake_ok,
            description=wake_word_name(name).replace("_", " ").title(),
            version=None,
            languages=["en"] if name in BUNDLED_WAKE_WORDS else [language],
            phrase=wake_word_name(name).replace("_", " "),
        )
        for name in config.wake.models
    ]
    return Info(
        asr=[
            AsrProgram(
                name=PROGRAM,
                attribution=EDGE_OS,
                installed=stt_ok,
                description="edge-os speech-to-text (faster-whisper)",
                version=__version__,
                models=[
                    AsrModel(
                        name=config.stt.model,
                        attribution=_WHISPER,
                        installed=stt_ok,
                        description=f"Whisper {config.stt.model} ({config.stt.compute_type})",
                        version=None,
                        languages=stt_languages,
                    )
                ],
            )
        ],
        tts=[
            TtsProgram(
                name=PROGRAM,
                attribution=EDGE_OS,
                installed=tts_ok,
                description=f"edge-os text-to-speech ({config.tts.engine})",
                version=__version__,
                voices=[
                    TtsVoice(
                        name=voice_name,
                        attribution=_PIPER if config.tts.engine == "piper" else _ESPEAK,
                        installed=tts_ok,
                        description=voice_name,
                        version=None,
                        languages=[voice_language],
                    )
                ],
                supports_synthesize_streaming=True,
            )
        ],
        wake=[
            WakeProgram(
                name=PROGRAM,
                attribution=EDGE_OS,
                installed=wake_ok,
                description="edge-os wake word (openWakeWord)",
                version=__version__,
                models=wake_models,
            )
        ],
        intent=[
            IntentProgram(
                name=PROGRAM,
                attribution=EDGE_OS,
                installed=intent_ok,
                description="edge-os intents (Home Assistant's sentences, edge-os's registry)",
                version=__version__,
                models=[
                    IntentModel(
                        name="home-assistant-intents",
                        attribution=_INTENTS,
                        installed=intent_ok,
                        description="Home Assistant's sentence templates, compiled by edge-os",
                        version=None,
                        languages=[language],
                    )
                ],
            )
        ],
        handle=[
            HandleProgram(
                name=PROGRAM,
                attribution=EDGE_OS,
                installed=intent_ok,
                description="edge-os commands: intents carried out on edge-os's own devices",
                version=__version__,
                models=[
                    HandleModel(
                        name="edge-os-commands",
                        attribution=EDGE_OS,
                        installed=intent_ok,
                        description="edge-os's device registry and dispatcher",
                        version=None,
                        languages=[language],
                    )
                ],
                supports_home_control=True,
            )
        ],
    )


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _installed(what: str, check: Callable[[], object]) -> bool:
    try:
        check()
    except (EdgeOSError, ImportError, OSError) as err:
        _LOGGER.warning("%s is not available over Wyoming: %s", what, err)
        return False
    return True


def _stt_check(config: Config) -> Callable[[], object]:
    def check() -> object:
        from edge_os.stt.whisper import resolve_model_dir

        if not _has("faster_whisper"):
            raise ImportError("faster-whisper is not installed (pip install 'edge-os[stt]')")
        return resolve_model_dir(config.stt.model, config.state_dir)

    return check


def _wake_check(config: Config) -> Callable[[], object]:
    def check() -> object:
        from edge_os.wake.models import resolve

        if not _has("onnxruntime"):
            raise ImportError("onnxruntime is not installed (pip install 'edge-os[wake]')")
        return resolve(list(config.wake.models))

    return check


def _tts(config: Config) -> tuple[bool, str, str]:
    """Whether speech works, the voice's name and its language (Piper's ``en_US`` style)."""
    settings = config.tts
    espeak = shutil.which("espeak-ng") is not None
    if settings.engine == "espeak-ng":
        return espeak, "espeak-ng", config.site.language

    def check() -> object:
        from edge_os.tts.piper_voice import resolve_voice

        if not _has("piper"):
            raise ImportError("piper-tts is not installed (pip install 'edge-os[tts]')")
        return resolve_voice(settings.voice, config.state_dir)

    name = Path(settings.voice).stem if settings.voice.endswith(".onnx") else settings.voice
    match = _VOICE_LANGUAGE.match(name)
    language = match.group(1) if match else config.site.language
    piper = _installed("the Piper voice", check)
    return piper or espeak, name, language
