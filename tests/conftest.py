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
from filelock import FileLock

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
def strict_book(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The book built as CI builds it, warnings as errors and missing references as warnings (-W -n), once
    per run into a temporary folder: its ``_build/html``.

    Under pytest-xdist each worker has a session of its own; the first worker to ask builds the book into a
    folder all of them share, under a file lock, and the others wait for it and read the same build (the
    pattern pytest-xdist's documentation gives for a session fixture that must run once).
    """
    if worker_id == "master":  # not under xdist
        return _build_strict_book(tmp_path_factory.mktemp("book"))
    shared = tmp_path_factory.getbasetemp().parent / "book"
    with FileLock(str(shared) + ".lock"):
        failure = shared / "failed.txt"
        if not shared.is_dir():
            shared.mkdir()
            try:
                _build_strict_book(shared)
            except AssertionError as error:
                failure.write_text(str(error), encoding="utf-8")
                raise
        assert not failure.exists(), failure.read_text(encoding="utf-8")
    return shared / "_build" / "html"


def _build_strict_book(out: Path) -> Path:
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return out / "_build" / "html"


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``grading`` what grades notebooks side by side on every core: the exercises' session fixture
    and the whole of test_grading.py. ``tasks.py test`` runs these alone, after the rest has run on every
    core, because their time limits assume that nothing else competes for the CPU."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "outcomes" in fixtures or item.path.name == "test_grading.py":
            item.add_marker(pytest.mark.grading)
