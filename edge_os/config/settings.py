"""The typed configuration of edge-os, one section per pipeline stage.

Every default works without a file: a laptop with no microphone, broker or GPIO header
runs the whole service with the mock/embedded backends. Units are in the field names.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from edge_os.devices.entity import Area, Entity, Floor
from edge_os.schema import ExistingFile, GpioPin, ResolvedPath, Section, _existing_file

SITE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
BUNDLED_WAKE_WORDS = ("hey_jarvis", "alexa", "hey_mycroft", "hey_rhasspy")
"""Wake words shipped in openwakeword 0.5.1 (CC BY-NC-SA 4.0: non-commercial use only)."""


def wake_word_name(name: str) -> str:
    """Display name of a configured wake word: the bundled name, or a custom model's stem."""
    return name if name in BUNDLED_WAKE_WORDS else Path(name).stem


def default_state_dir() -> Path:
    """Where the durable command queue and caches live when the config does not say.

    systemd's ``StateDirectory=`` sets ``$STATE_DIRECTORY``; otherwise the XDG state home.
    """
    if state := os.environ.get("STATE_DIRECTORY"):
        return Path(state.split(":")[0])
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "edge-os"


class SiteSettings(Section):
    """Who and where this satellite is."""

    id: str = "home"
    """Site id used in MQTT topics and Hermes `siteId` (lower case, digits, `_` and `-`)."""
    area: str | None = None
    """Area id this satellite stands in; "turn on the lights" and "in here" mean this area."""
    language: str = "en"
    """Language of commands (Home Assistant's code: `en`, `de`, `fr`, ...); answers are English."""
    role: Literal["full", "satellite", "hub"] = "full"
    """`full`: the whole loop on this machine. `satellite`: microphone, wake word, VAD and
    speaker only; commands go to the hub as audio, answers come back as audio. `hub`:
    speech-to-text, understanding and devices for its satellites (no microphone)."""
    hub: str = "hub"
    """Site id of the hub a satellite sends its commands to."""
    arbitration_seconds: float = Field(default=0.25, ge=0.0, le=2.0)
    """Sites that hear the same wake word within this long settle which one handles it
    (the loudest, then the best wake score, then the lower site id); 0 turns it off."""
    arbitration_group: str = "home"
    """Only sites of the same group settle a wake word between them: put rooms that cannot
    hear each other in groups of their own, and people speaking in both at once are each
    answered (wakes less than ``arbitration_seconds`` apart in one group are one wake)."""
    hub_max_pending: int = Field(default=8, ge=1, le=64)
    """Hub: satellite commands waiting to be handled at most; one more is refused (busy)."""

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        try:
            from home_assistant_intents import get_languages
        except ImportError:  # the intent extra is not installed: checked when it loads
            return value
        languages = sorted(get_languages())
        if value not in languages:
            raise PydanticCustomError(
                "language",
                "{value} has no sentence templates (expected one of: {languages})",
                {"value": repr(value), "languages": ", ".join(languages)},
            )
        return value

    @field_validator("id")
    @classmethod
    def _site_id(cls, value: str) -> str:
        if not SITE_ID_PATTERN.match(value):
            raise PydanticCustomError(
                "site_id",
                "{value} is not a site id (lower case letters, digits, '_' and '-')",
                {"value": repr(value)},
            )
        return value


class AudioInputSettings(Section):
    """Where audio comes from; it is converted once to 16 kHz, 16-bit mono."""

    source: Literal["sounddevice", "file", "stdin", "mock"] = "sounddevice"
    """Backend: a sound card via PortAudio, a WAV file, raw PCM on stdin, or a mock."""
    device: str | int | None = None
    """PortAudio device name or index; null picks the system default."""
    sample_rate: int = Field(16000, ge=8000, le=192000)
    """Capture rate in Hz (converted to 16000 Hz internally)."""
    channels: int = Field(1, ge=1, le=8)
    """Channels captured (mixed down to mono)."""
    block_ms: int = Field(80, ge=10, le=500)
    """Length of one audio block handed to the pipeline, in milliseconds."""
    file: ExistingFile | None = None
    """WAV file read by the `file` source and replayed by `mock` (relative to this file)."""
    reconnect_max_seconds: float = Field(30.0, ge=0.1, le=600.0)
    """Longest wait between attempts to reopen a sound card that failed or disappeared."""


class AudioOutputSettings(Section):
    """Where spoken answers and earcons go."""

    sink: Literal["sounddevice", "file", "null"] = "sounddevice"
    """Backend: a sound card via PortAudio, a WAV file, or nowhere."""
    device: str | int | None = None
    """PortAudio device name or index; null picks the system default."""
    volume_percent: int = Field(80, ge=0, le=100)
    """Playback volume, 0-100."""
    muted: bool = False
    """Start muted (answers are still published on MQTT)."""
    earcons: bool = True
    """Play short sounds on wake, end of listening and error."""
    file: ResolvedPath | None = None
    """WAV file the `file` sink writes; it holds the last answer played (relative to this file)."""
    block_ms: int = Field(50, ge=10, le=500)
    """Playback block; "stop" or a new wake word cuts speech within one block."""
    sample_rate: int | None = Field(None, ge=8000, le=192000)
    """Output rate in Hz for a card that needs one (e.g. 48000); null plays at the voice's rate."""


class AudioSettings(Section):
    """Audio in and out."""

    input: AudioInputSettings = AudioInputSettings()
    """Microphone side."""
    output: AudioOutputSettings = AudioOutputSettings()
    """Speaker side."""


class WakeSettings(Section):
    """Wake-word detection (openWakeWord ONNX models)."""

    models: list[str] = Field(default_factory=lambda: ["hey_jarvis"], min_length=1)
    """Bundled wake words (hey_jarvis, alexa, hey_mycroft, hey_rhasspy) or paths to .onnx files."""
    # custom .onnx paths are taken relative to the config file and must exist
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    """Score (0-1) a frame must reach to count towards a detection."""
    patience_frames: int = Field(2, ge=1, le=50)
    """Consecutive 80 ms frames above the threshold before the wake word counts."""
    refractory_seconds: float = Field(2.0, ge=0.0, le=60.0)
    """Seconds after a detection during which further detections are ignored."""
    threads: int = Field(1, ge=1, le=16)
    """onnxruntime intra-op threads for the wake-word models."""
    int8: bool = False
    """Use the INT8 embedding and classifiers from `edge-os models quantize` (a third less CPU)."""

    @field_validator("models")
    @classmethod
    def _models(cls, value: list[str], info: ValidationInfo) -> list[str]:
        resolved = []
        for name in value:
            if name in BUNDLED_WAKE_WORDS:
                resolved.append(name)
            elif name.endswith(".onnx"):
                # a custom model: relative to the config file's folder, and it must exist
                resolved.append(str(_existing_file(Path(name), info)))
            else:
                raise PydanticCustomError(
                    "wake_model",
                    "unknown wake word {name} (expected one of: {known}, or a path to .onnx)",
                    {"name": repr(name), "known": ", ".join(BUNDLED_WAKE_WORDS)},
                )
        return resolved


class VadSettings(Section):
    """Voice-activity endpointing (Silero VAD)."""

    threshold: float = Field(0.5, ge=0.0, le=1.0)
    """Speech probability (0-1) above which a frame is speech."""
    silence_seconds: float = Field(0.7, gt=0.0, le=10.0)
    """Silence after speech that ends the command."""
    max_command_seconds: float = Field(10.0, gt=0.0, le=60.0)
    """Longest command; speech is cut here."""
    no_speech_timeout_seconds: float = Field(5.0, gt=0.0, le=60.0)
    """Give up when no speech starts this long after the wake word."""
    pre_roll_seconds: float = Field(0.3, ge=0.0, le=2.0)
    """Audio kept from before speech start so the first syllable is not lost."""


class SttSettings(Section):
    """Speech-to-text (faster-whisper, CTranslate2)."""

    model: Literal["tiny.en", "base"] = "tiny.en"
    """Whisper model: tiny.en ships in a package; base needs `edge-os models fetch stt-base`."""
    compute_type: Literal["int8", "int8_float32", "float32", "float16", "int8_float16"] = "int8"
    """CTranslate2 compute type (int8: 100-190 MB less than float32; *float16: GPU only)."""
    cpu_threads: int = Field(2, ge=1, le=16)
    """CPU threads CTranslate2 uses per transcription."""
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    """Where Whisper runs: `auto`/`cuda` take a GPU CTranslate2 can see (Jetson), else the CPU."""
    beam_size: int = Field(1, ge=1, le=10)
    """Beam width (1 is greedy and fastest)."""
    bias_vocabulary: bool = True
    """Bias recognition toward the registry's area and device names and aliases (hotwords)."""
    window_seconds: float = Field(10.0, ge=1.0, le=30.0)
    """Whisper's encoder window: a shorter command is padded to it, a longer one gets a
    window its own length. Whisper itself pads to 30 s; 10 s transcribes in a third of the
    time with less memory and as many right actions (bench/stt_window.py)."""
    n_best: int = Field(5, ge=1, le=10)
    """When the biased reading of a command is not understood, the plain one and the
    hypotheses of a beam search this wide are read too, and the first one understood is
    taken if every one understood asks the same ("the best light" -> "the desk light" in
    noise; 1 reads the plain one only)."""
    speculative: bool = True
    """Start transcribing a command at its first 0.2 s pause, while the VAD waits out
    `vad.silence_seconds`: used if the speaker has stopped, thrown away if they go on."""


class IntentSettings(Section):
    """Text to intent: compiled grammar first, then the learned paths (asked before acting)."""

    retrieval: bool = True
    """When the grammar does not match, read the sentence by meaning: the registry's names
    found in the words, what to do from the INT8 sentence encoder and a classifier (built
    with `edge-os models build embed`)."""
    model_act_confidence: float = Field(0.7, ge=0.0, le=1.0)
    """What only the learned reader understood is done at once at or above this confidence,
    and asked first ("Do you want me to ...?") below it; sensitive devices always ask."""
    retrieval_threads: int = Field(1, ge=1, le=16)
    """onnxruntime intra-op threads for the sentence encoder."""
    llm_fallback: bool = False
    """Also ask the quantized LLM when the grammar and the learned reader do not understand
    (off by default: an outside evaluation found its guesses wrong too often; what it
    reads is always asked before it is done)."""
    llm_threads: int = Field(2, ge=1, le=16)
    """onnxruntime intra-op threads for the LLM."""
    min_confidence: float = Field(0.5, ge=0.0, le=1.0)
    """Results below this confidence are treated as not understood."""
    confirm_sensitive: bool = True
    """Ask for a spoken "yes" before acting on sensitive devices (locks, garage doors, alarms)."""
    confirm_timeout_seconds: float = Field(10.0, gt=0.0, le=120.0)
    """How long a confirmation question waits for an answer."""
    context_seconds: float = Field(60.0, ge=0.0, le=3600.0)
    """How long the last request stays the conversation's subject: within it "turn it off",
    "brighter" and "and the bedroom too" refer to it (per source; 0 turns this off)."""
    follow_up_seconds: float = Field(5.0, ge=0.0, le=60.0)
    """Window after an answer in which a follow-up ("and the kitchen too") needs no wake word."""
    command_timeout_seconds: float = Field(30.0, gt=0.0, le=600.0)
    """A command (STT to answer) running longer is abandoned; the ones behind it go on."""
    cache_size: int = Field(128, ge=0, le=10000)
    """Recent sentences whose recognised intent is remembered (0 turns the cache off)."""
    llm_load: Literal["lazy", "eager"] = "lazy"
    """`lazy` loads the LLM on the first sentence the grammar misses (saves ~300 MB idle)."""
    llm_idle_unload_seconds: float = Field(300.0, ge=0.0, le=86400.0)
    """Unload a lazily loaded LLM after this long unused (0: keep it once loaded)."""
    llm_model_file: Literal["model.int8.onnx", "model.int4.onnx", "model.fp32.onnx"] = (
        "model.int8.onnx"
    )
    """Which build of the LLM to run: INT8 (default), INT4 MatMulNBits (smaller), float32."""


class TtsSettings(Section):
    """Spoken answers."""

    engine: Literal["piper", "espeak-ng"] = "piper"
    """Piper voice, or espeak-ng (also the fallback when the voice is missing)."""
    voice: str = "en_US-joe-medium"
    """Piper voice name from the model manifest, or a path to a voice .onnx."""
    length_scale: float = Field(1.0, gt=0.2, le=3.0)
    """Speaking slowness: above 1 speaks slower, below 1 faster."""
    threads: int = Field(1, ge=1, le=16)
    """onnxruntime intra-op threads for the Piper voice."""
    int8_weights: bool = True
    """Run the Piper voice with INT8 weights where it holds most (a copy written once to the
    models folder): 40 MB less memory; false runs the float32 voice."""
    sentence_silence_seconds: float = Field(0.15, ge=0.0, le=2.0)
    """Silence appended after each sentence."""


class MqttTlsSettings(Section):
    """TLS towards the broker."""

    enabled: bool = False
    """Use TLS."""
    ca_file: ExistingFile | None = None
    """CA certificate (PEM) to check the broker against; null uses the system store."""
    cert_file: ExistingFile | None = None
    """Client certificate (PEM) for certificate authentication."""
    key_file: ExistingFile | None = None
    """Private key (PEM) of the client certificate."""

    @model_validator(mode="after")
    def _cert_pair(self) -> MqttTlsSettings:
        if (self.cert_file is None) != (self.key_file is None):
            raise PydanticCustomError("tls_pair", "cert_file and key_file must be given together")
        return self


class MqttDiscoverySettings(Section):
    """Home Assistant MQTT discovery."""

    enabled: bool = True
    """Announce edge-os's own entities to Home Assistant (status, last command, last answer,
    mute, wake word, volume); off deletes what an earlier run announced."""
    prefix: str = "homeassistant"
    """Discovery topic prefix (Home Assistant's default is `homeassistant`)."""
    import_entities: bool = False
    """Add entities other devices announce via discovery to the registry (opt-in)."""


class MqttSettings(Section):
    """The MQTT broker devices and Home Assistant talk through."""

    host: str | None = None
    """Broker host name or address; null runs with the embedded default (no external broker)."""
    port: int = Field(1883, ge=1, le=65535)
    """Broker TCP port (1883 plain, 8883 TLS by convention)."""
    protocol: Literal["3.1.1", "5"] = "5"
    """MQTT protocol version."""
    client_id: str | None = None
    """Client id; null uses `edge-os-<site id>`."""
    announce_availability: bool = True
    """Say `online` on `<topic_prefix>/<site id>/availability` and leave `offline` as the last
    will (what Home Assistant shows edge-os's entities by). `edge-os say`, `devices test` and
    `edge-os wyoming` connect without it, so they never mark the running service away."""
    keepalive_seconds: int = Field(60, ge=5, le=3600)
    """Keep-alive interval."""
    username: str | None = None
    """User name for password authentication."""
    password: SecretStr | None = None
    """Password (prefer password_file, e.g. a systemd credential)."""
    password_file: ExistingFile | None = None
    """File whose first line is the password."""
    tls: MqttTlsSettings = MqttTlsSettings()
    """TLS settings."""
    topic_prefix: str = "edge_os"
    """Prefix of edge-os's own topics: `<topic_prefix>/<site id>/...`."""
    discovery: MqttDiscoverySettings = MqttDiscoverySettings()
    """Home Assistant discovery."""
    queue_dir: ResolvedPath | None = None
    """Folder of the durable command queue; null uses `<state_dir>/queue`."""
    queue_max_age_seconds: float = Field(900.0, gt=0.0, le=604800.0)
    """Queued commands older than this are dropped (logged), not sent late."""
    ack_timeout_seconds: float = Field(2.0, gt=0.0, le=60.0)
    """How long a command waits for the broker's PUBACK before it is reported as queued."""
    reconnect_max_seconds: float = Field(30.0, ge=0.1, le=600.0)
    """Longest wait between reconnect attempts (back-off doubles from 0.1 s up to this)."""

    @model_validator(mode="after")
    def _credentials(self) -> MqttSettings:
        if self.password is not None and self.password_file is not None:
            raise PydanticCustomError(
                "password_twice", "give either password or password_file, not both"
            )
        if (self.password is not None or self.password_file is not None) and not self.username:
            raise PydanticCustomError("password_no_user", "a password needs a username")
        return self


class GpioSettings(Section):
    """GPIO pins via gpiozero."""

    pin_factory: Literal["auto", "mock", "lgpio", "rpigpio", "pigpio", "native"] = "auto"
    """gpiozero pin factory; `auto` uses the real pins on a Pi and MockFactory elsewhere."""
    push_to_talk_pin: GpioPin | None = None
    """Button that starts listening without the wake word (BCM number)."""
    mute_pin: GpioPin | None = None
    """Button that toggles microphone mute (BCM number)."""
    bounce_ms: int = Field(50, ge=0, le=1000)
    """Button debounce time."""


class RuntimeSettings(Section):
    """Where models run."""

    execution_provider: Literal["auto", "cpu", "cuda", "tensorrt"] = "auto"
    """onnxruntime provider: `auto` takes TensorRT/CUDA when present (Jetson), else the CPU."""


class LoggingSettings(Section):
    """Logging to stderr (journald adds timestamps under systemd)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Lowest level logged."""
    format: Literal["text", "json"] = "text"
    """Plain lines or one JSON object per line."""


class AppsSettings(Section):
    """Apps: sentences of your own and what they do, under declared permissions."""

    paths: list[ResolvedPath] = Field(default_factory=list)
    """Folders holding apps (one sub-folder with an `app.yaml` each); relative to this file."""
    disabled: list[str] = Field(default_factory=list)
    """Names of apps not to load (`edge-os apps disable NAME`)."""


class Config(Section):
    """The whole configuration: settings per stage plus the device registry."""

    site: SiteSettings = SiteSettings()
    """This satellite."""
    audio: AudioSettings = AudioSettings()
    """Audio in and out."""
    wake: WakeSettings = WakeSettings()
    """Wake word."""
    vad: VadSettings = VadSettings()
    """Endpointing."""
    stt: SttSettings = SttSettings()
    """Speech-to-text."""
    intent: IntentSettings = IntentSettings()
    """Intent recognition."""
    tts: TtsSettings = TtsSettings()
    """Text-to-speech."""
    mqtt: MqttSettings = MqttSettings()
    """MQTT broker."""
    gpio: GpioSettings = GpioSettings()
    """GPIO."""
    runtime: RuntimeSettings = RuntimeSettings()
    """Inference runtime."""
    logging: LoggingSettings = LoggingSettings()
    """Logging."""
    apps: AppsSettings = AppsSettings()
    """Apps: custom sentences and routines, each under its declared permissions."""
    state_dir: ResolvedPath = Field(default_factory=default_state_dir)
    """Folder for the durable queue and caches (systemd's StateDirectory when set)."""
    floors: list[Floor] = Field(default_factory=list)
    """Floors of the home; an area's `floor` that names no floor here declares one by name."""
    areas: list[Area] = Field(default_factory=list)
    """Areas (rooms) of the home."""
    entities: list[Entity] = Field(default_factory=list)
    """Devices edge-os may act on; nothing else can ever be targeted."""
