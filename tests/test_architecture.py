"""The import contract (.importlinter) holds: pages -> ui -> atlas, no Streamlit under atlas/,
and the atlas subpackage layers. scripts/test.sh runs lint-imports too; this keeps a plain
`pytest` run honest."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("import-linter is not installed (requirements-dev.txt)")
    return subprocess.run([exe, "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_import_contracts_are_kept():
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 kept, 0 broken" in proc.stdout


def test_a_streamlit_import_under_atlas_breaks_the_contract(tmp_path):
    """The contract can fail: a copy of the code where the core imports Streamlit."""
    for name in ("atlas", "ui", "pages"):
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__", "taxonomy"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    (tmp_path / "atlas" / "model" / "leak.py").write_text("import streamlit\n")
    (tmp_path / "atlas" / "geo" / "upward.py").write_text("from atlas.present import render\n")
    proc = lint_imports(tmp_path)
    assert proc.returncode != 0
    assert "atlas.model.leak -> streamlit" in proc.stdout
    assert "atlas.geo.upward -> atlas.present.render" in proc.stdout
