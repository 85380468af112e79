"""The seam: core never imports the screen; the TUI does not import Keras until training starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORE_MODULES = sorted(
    ".".join(p.relative_to(REPO / "core").with_suffix("").parts).removesuffix(".__init__")
    for p in (REPO / "core").rglob("*.py") if p.name != "__init__.py" or p.parent != REPO / "core"
)


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_modules_never_import_textual(module: str) -> None:
    modules = loaded_after(f"import hptune.core.{module}")
    assert not {m for m in modules if m == "textual" or m.startswith(("textual.", "hptune.tui"))}


def test_cli_help_does_not_import_keras_or_optuna() -> None:
    modules = loaded_after("import hptune.core.cli; hptune.core.cli.build_parser()")
    assert "keras" not in modules and "tensorflow" not in modules and "optuna" not in modules


def test_trainer_import_defers_keras() -> None:
    modules = loaded_after("import hptune.core.trainer, hptune.core.store")
    assert "keras" not in modules and "tensorflow" not in modules
