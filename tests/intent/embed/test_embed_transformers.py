"""Against the original: transformers' BertModel + mean pooling (only where torch is installed).

The build itself never needs torch; CI installs the ``build`` extra, which brings it, so
there the graph is also checked against the library the checkpoint was made for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edge_os.intent.embed.build import FLOAT_FILE, find_source
from edge_os.intent.embed.encoder import SentenceEncoder
from tests.intent.embed.conftest import missing_build_modules

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch", reason="torch not installed (pip install -e '.[build]')")
transformers = pytest.importorskip("transformers", reason="transformers not installed")


@pytest.fixture(scope="module")
def reference(commands: list[str]) -> Any:
    """transformers' embeddings of the commands: AutoModel, mean over the mask, normalised."""
    if missing := missing_build_modules():
        pytest.skip(f"{', '.join(missing)} not installed: pip install -e '.[build]'")
    source = find_source()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")  # the folder is local; never ask a hub
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(source))
        model = transformers.AutoModel.from_pretrained(str(source), dtype=torch.float32).eval()
        batch = tokenizer(
            commands, padding=True, truncation=True, max_length=128, return_tensors="pt"
        )
        with torch.no_grad():
            hidden = model(**batch).last_hidden_state
    weight = batch["attention_mask"].unsqueeze(-1).float()
    mean = (hidden * weight).sum(1) / weight.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(mean, dim=1).numpy()


def test_float_graph_equals_transformers(
    embed_model_dir: Path, reference: Any, commands: list[str]
) -> None:
    got = SentenceEncoder.load(embed_model_dir, model_file=FLOAT_FILE).encode(commands)
    assert float(np.abs(got - reference).max()) < 1e-4


def test_int8_is_close_to_transformers(
    embed_model_dir: Path, reference: Any, commands: list[str]
) -> None:
    got = SentenceEncoder.load(embed_model_dir).encode(commands)
    assert float((got * reference).sum(axis=1).min()) > 0.98
