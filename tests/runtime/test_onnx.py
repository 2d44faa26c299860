"""Sessions open real ONNX files from the wheels with the threads and provider asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_os.errors import ModelError
from edge_os.runtime.onnx import choose_providers, create_session


def test_provider_choice() -> None:
    cpu_only = ["CPUExecutionProvider"]
    jetson = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert choose_providers("auto", cpu_only) == ["CPUExecutionProvider"]
    assert choose_providers("auto", jetson) == jetson
    assert choose_providers("cuda", jetson) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert choose_providers("cpu", jetson) == ["CPUExecutionProvider"]


def test_missing_provider_falls_back_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    assert choose_providers("tensorrt", ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    assert "TensorrtExecutionProvider is not available" in caplog.text


def test_real_model_session() -> None:
    import faster_whisper

    vad = Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"
    session = create_session(vad, threads=1, name="silero")
    assert session.get_providers() == ["CPUExecutionProvider"]
    assert session.get_session_options().intra_op_num_threads == 1


def test_corrupt_model_is_a_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"cannot load wake from .*bad.onnx"):
        create_session(bad, threads=1, name="wake")
