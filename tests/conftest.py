"""Fixtures shared by the helper package's tests: the frameworks, imported only by tests that ask for them.

A test that needs TensorFlow or PyTorch takes the fixture; where the framework is missing (a GPU machine
without TensorFlow, say) the test is skipped instead of failing to import.
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
