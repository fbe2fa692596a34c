"""Fixtures shared by the helper package's tests: the frameworks, imported only by tests that ask for them.

A test that needs TensorFlow or PyTorch takes the fixture; where the framework is missing the test is
skipped instead of failing to import, and that skip fails the run (see the repository's conftest.py) unless
``TWICE_ALLOW_SKIPS=1`` says that the framework is missing on purpose (a GPU machine without TensorFlow, say).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tf() -> Any:
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="session")
def keras() -> Any:
    return pytest.importorskip("keras")


@pytest.fixture(scope="session")
def torch() -> Any:
    return pytest.importorskip("torch")


@pytest.fixture(scope="session")
def strict_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The book built as CI builds it, warnings as errors and missing references as warnings (-W -n), once
    per session into a temporary folder: its ``_build/html``."""
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return out / "_build" / "html"
