"""One way to open an onnxruntime session: explicit threads, chosen provider, no spinning.

Every ONNX model of edge-os (wake word, VAD, TTS voice, LLM) is opened here so thread
counts and the execution provider come from the config and the choice is logged once.
Idle worker threads do not spin: on a Pi the wake word runs all day, and spinning threads
would burn a core between 80 ms frames.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from edge_os.errors import ErrorCode, MissingDependencyError, ModelError

if TYPE_CHECKING:
    import onnxruntime

_LOGGER = logging.getLogger(__name__)

ProviderChoice = Literal["auto", "cpu", "cuda", "tensorrt"]

_PREFERENCE: dict[ProviderChoice, tuple[str, ...]] = {
    "auto": ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"),
    "cpu": ("CPUExecutionProvider",),
    "cuda": ("CUDAExecutionProvider", "CPUExecutionProvider"),
    "tensorrt": ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"),
}
_warned: set[str] = set()


def choose_providers(choice: ProviderChoice, available: Sequence[str]) -> list[str]:
    """Providers to ask for, best first, from what this onnxruntime build offers.

    A provider asked for by name but missing falls back to the CPU with a warning (once).
    """
    wanted = _PREFERENCE[choice]
    chosen = [name for name in wanted if name in available] or ["CPUExecutionProvider"]
    if choice != "auto" and wanted[0] not in available and wanted[0] not in _warned:
        _warned.add(wanted[0])
        _LOGGER.warning(
            "%s is not available in this onnxruntime (has: %s); using %s",
            wanted[0],
            ", ".join(available),
            chosen[0],
        )
    return chosen


def shrinking_arena() -> onnxruntime.RunOptions:
    """Run options that hand the CPU arena's free chunks back at the end of each run: for
    a model whose working memory is large and varies from run to run (a voice)."""
    import onnxruntime as ort

    options = ort.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


def create_session(
    model: Path | bytes,
    *,
    threads: int,
    provider: ProviderChoice = "cpu",
    name: str = "model",
    extra: str = "wake",
) -> onnxruntime.InferenceSession:
    """An InferenceSession with ``threads`` intra-op threads on the chosen provider.

    ``extra`` names the pip extra to install when onnxruntime is missing.
    """
    try:
        import onnxruntime as ort
    except ImportError:
        raise MissingDependencyError("onnxruntime", extra) from None
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # x86 CPUs with AVX2 but no VNNI multiply int8 weights by uint8 activations in 16-bit
    # sums that saturate: the INT8 language model then read every request as the same
    # wrong one (tests/intent/llm on such a machine). onnxruntime's own remedy for it.
    options.add_session_config_entry("session.x64quantprecision", "1")
    options.log_severity_level = 3
    providers = choose_providers(provider, ort.get_available_providers())
    source = model if isinstance(model, bytes) else str(model)
    try:
        session = ort.InferenceSession(source, sess_options=options, providers=providers)
    except Exception as err:  # onnxruntime raises its own untyped errors for bad files
        where = "<bytes>" if isinstance(model, bytes) else str(model)
        raise ModelError(
            ErrorCode.MODEL_MISSING, f"cannot load {name} from {where}: {err}"
        ) from err
    _LOGGER.info(
        "%s: onnxruntime %s, providers %s, %d thread(s)",
        name,
        ort.__version__,
        ",".join(session.get_providers()),
        threads,
    )
    return session
