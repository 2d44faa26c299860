"""INT8 variants of the wake and VAD models: real models, real espeak-ng speech, real report."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from edge_os.audio.format import AudioChunk
from edge_os.audio.wav import read_wav
from edge_os.cli.main import main
from edge_os.errors import ModelError
from edge_os.models.manifest import MODELS_DIR_ENV, load_manifest
from edge_os.models.record import RECORD_FILE
from edge_os.models.variants import installed_variant, variant_dir
from edge_os.quantize.int8 import quantize
from edge_os.vad.silero import SileroVad
from edge_os.wake.models import resolve
from edge_os.wake.openwakeword import OpenWakeWord
from tests import speech
from tests.audio.clips import command_clip

# onnxruntime's quantizer needs the onnx package, which only the build extra installs
# (CI has it: EDGE_OS_EXTRAS=all,dev,build).
onnx = pytest.importorskip("onnx", reason="models quantize needs pip install 'edge-os[build]'")

REPO = Path(__file__).resolve().parents[2]
Clips = list[tuple[str, AudioChunk, bool]]


@pytest.fixture(scope="module")
def clips() -> Clips:
    """Two voices saying "hey jarvis, turn on the kitchen light"; two other sentences."""
    positives = [
        command_clip(voice=v, speed_wpm=s).path for v, s in [("en-gb", 140), ("en-us", 170)]
    ]
    negatives = [
        speech.concat(speech.espeak("hey travis, turn off the lights", "en-us")),
        speech.concat(speech.espeak("what is the weather like today", "en-gb")),
    ]
    return [(p.name, read_wav(p), True) for p in positives] + [
        (n.name, read_wav(n), False) for n in negatives
    ]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder of this module's own."""
    return tmp_path_factory.mktemp("models")


def _quantize(name: str, store: Path, clips: Clips) -> dict[str, Any]:
    return quantize(load_manifest().get(name), store, clips)


def _check_manifest(result: dict[str, Any], folder: Path) -> Path:
    """The build.json on disk is the one returned, and its sha256s match the files."""
    on_disk = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
    assert on_disk == result
    [(name, digest)] = on_disk["files"].items()
    path = folder / name
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    [(source_name, source_digest)] = on_disk["source"]["files"].items()
    assert source_name.endswith(".onnx") and source_digest != digest
    assert on_disk["source"]["package"].count("==") == 1
    return path


def _op_types(path: Path) -> set[str]:
    return {node.op_type for node in onnx.load(str(path)).graph.node}


def test_wake_embedding_static_int8_still_detects(store: Path, clips: Clips) -> None:
    result = _quantize("wake-embedding", store, clips)
    path = _check_manifest(result, variant_dir(store, "wake-embedding"))
    assert {"QuantizeLinear", "DequantizeLinear"} <= _op_types(path)
    report = result["report"]
    assert report["size_bytes"]["int8"] < report["size_bytes"]["fp32"] / 2
    assert report["positives"]["fp32"]["detected"] == 2
    assert report["positives"]["int8"]["detected"] == 2
    assert report["positives"]["int8"]["min_max_score"] > 0.5
    assert report["negatives"]["int8"]["detected"] == 0
    assert report["decisions_agree"] is True
    # Single frames can move (0.16 in one checkout, 0.26 in another: the calibration
    # ranges differ slightly); what must hold is the decisions, checked above.
    assert 0 < report["max_abs_score_difference"] < 0.4
    assert all(speed > 0 for speed in report["ms_per_audio_second"].values())
    # the file works in the real detector
    files = resolve(["hey_jarvis"])
    detector = OpenWakeWord(
        type(files)(files.melspectrogram, path, files.classifiers), patience_frames=2
    )
    assert len(detector.process(clips[0][1])) == 1


def test_wake_classifier_dynamic_int8(store: Path, clips: Clips) -> None:
    result = _quantize("wake-hey_jarvis", store, clips)
    path = _check_manifest(result, variant_dir(store, "wake-hey_jarvis"))
    assert "MatMulInteger" in _op_types(path) or "DynamicQuantizeLinear" in _op_types(path)
    report = result["report"]
    assert report["size_bytes"]["int8"] < report["size_bytes"]["fp32"] * 0.6
    assert report["positives"]["int8"]["detected"] == 2
    assert report["negatives"]["int8"]["detected"] == 0
    assert report["negatives"]["int8"]["max_max_score"] < 0.5
    assert report["mean_abs_frame_score_difference"] < 0.05
    assert [row["clip"] for row in report["per_clip"]] == [label for label, _, _ in clips]


def test_vad_int8_keeps_endpoints(store: Path, clips: Clips) -> None:
    result = _quantize("vad-silero-v6", store, clips)
    path = _check_manifest(result, variant_dir(store, "vad-silero-v6"))
    assert "DynamicQuantizeLSTM" in _op_types(path)
    report = result["report"]
    assert report["size_bytes"]["int8"] < report["size_bytes"]["fp32"]
    assert 0 < report["mean_abs_probability_difference"] < 0.02
    assert report["endpoints_agree"] is True
    assert report["max_endpoint_shift_ms"] <= 100
    assert report["clips_endpoint_shift_over_100_ms"] == 0
    for row in report["per_clip"]:
        assert [e["kind"] for e in row["endpoints"]["fp32"]][:1] == ["speech-start"]
    frames = SileroVad(path).process(clips[0][1])
    assert max(frame.probability for frame in frames) > 0.9


def test_unsupported_model_and_missing_clips_are_clear_errors(store: Path) -> None:
    with pytest.raises(ModelError, match="cannot quantize"):
        _quantize("stt-tiny.en", store, [])
    with pytest.raises(ModelError, match="no clips"):
        _quantize("wake-hey_jarvis", store, [])


def test_cli_writes_into_the_models_dir_and_prints_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path / "store"))
    positive = command_clip().path
    negative = speech.concat(speech.espeak("jars of jam are in the kitchen", "en-gb"))
    config = str(REPO / "devices" / "example-home.yaml")
    args = ["--config", config, "models", "quantize", "wake-hey_jarvis", "--json"]
    code = main([*args, "--positive", str(positive), "--negative", str(negative)])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    folder = tmp_path / "store" / "wake-hey_jarvis-int8"
    path = _check_manifest(result, folder)
    spec = load_manifest().get("wake-hey_jarvis")
    assert installed_variant(tmp_path / "store", spec) == path
    assert installed_variant(tmp_path / "store", load_manifest().get("wake-alexa")) is None
    with path.open("ab") as damaged:
        damaged.write(b"\0")
    with pytest.raises(ModelError, match="does not match"):
        installed_variant(tmp_path / "store", spec)
    assert [row["positive"] for row in result["report"]["per_clip"]] == [True, False]
    assert main(["--config", config, "models", "quantize", "wake-alexa"]) != 0


def test_the_front_end_runs_the_int8_wake_models(
    store: Path, clips: Clips, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """wake.int8 swaps in the quantized embedding and classifier, and still detects."""
    from edge_os.config.settings import Config
    from edge_os.pipeline.frontend import FrontEnd
    from edge_os.stages.events import WakeDetected
    from edge_os.wake.models import resolve, with_int8

    monkeypatch.setenv("EDGE_OS_MODELS_DIR", str(store))
    for name in ("wake-embedding", "wake-hey_jarvis"):
        if not (store / f"{name}-int8" / RECORD_FILE).is_file():
            _quantize(name, store, clips)
    files = with_int8(resolve(["hey_jarvis", "alexa"]), Path("/nonexistent-state"))
    assert files.embedding.parent == store / "wake-embedding-int8"
    assert files.classifiers["hey_jarvis"].parent == store / "wake-hey_jarvis-int8"
    assert files.classifiers["alexa"].name == "alexa_v0.1.onnx"  # not quantized: stays float
    assert "no INT8 wake-alexa" in caplog.text
    config = Config.model_validate({"wake": {"int8": True}})
    frontend = FrontEnd.from_config(config)
    name, audio, _ = clips[0]
    events = [e for e in frontend.process(audio) if isinstance(e, WakeDetected)]
    assert len(events) == 1, name
