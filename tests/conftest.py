"""Fixtures shared by the helper package's tests: the frameworks, imported only by tests that ask for them.

A test that needs TensorFlow or PyTorch takes the fixture; where the framework is missing the test is
skipped instead of failing to import, and that skip fails the run (see the repository's conftest.py) unless
``TWICE_ALLOW_SKIPS=1`` says that the framework is missing on purpose (a GPU machine without TensorFlow, say).
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def tf() -> Any:
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="session")
def keras() -> Any:
    return pytest.importorskip("keras")


@pytest.fixture(scope="session")
def torch() -> Any:
    return pytest.importorskip("torch")
