"""The README's configuration reference is the one the schema generates."""

from __future__ import annotations

from edge_os.config.reference import embed, render
from edge_os.config.settings import Config
from tests.conftest import REPO


def test_readme_reference_is_current() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert embed(readme) == readme, (
        "README.md's reference is stale: run `python -m edge_os.config.reference README.md`"
    )


def test_every_setting_is_documented() -> None:
    text = render()
    for section, model in Config.model_fields.items():
        if section in ("areas", "entities"):
            continue
        assert f"`{section}" in text
        assert model.description, f"{section} has no docstring"
    assert "| `mqtt.tls.ca_file` |" in text
    assert "| `pin` | int | **required** |" in text
