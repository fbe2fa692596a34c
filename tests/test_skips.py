"""The rule of ../conftest.py: a skipped test fails the run, unless it is marked ``gpu`` or skips are allowed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TESTS = """
import pytest

def test_passes():
    assert True

@pytest.mark.gpu
@pytest.mark.skipif(True, reason="needs a GPU: none here")
def test_gpu_only():
    pass

def test_needs_a_missing_framework():
    pytest.importorskip("a_framework_that_is_not_installed")
"""


def _run_pytest(folder: Path, allow: bool, test_file: str = TESTS) -> subprocess.CompletedProcess[str]:
    (folder / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    (folder / "test_sample.py").write_text(test_file)
    env = {k: v for k, v in os.environ.items() if k != "TWICE_ALLOW_SKIPS"}
    if allow:
        env["TWICE_ALLOW_SKIPS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:nbval", str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_skip_that_is_not_gpu_only_fails_the_run(tmp_path: Path) -> None:
    result = _run_pytest(tmp_path, allow=False)
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
    assert "skipped tests that are not GPU-only (these fail the run)" in result.stdout
    assert "test_needs_a_missing_framework" in result.stdout
    assert "a_framework_that_is_not_installed" in result.stdout
    assert "test_gpu_only" not in result.stdout.split("not GPU-only")[1]


def test_a_skipped_module_fails_the_run_too(tmp_path: Path) -> None:
    module = (
        'import pytest\npytest.importorskip("a_framework_that_is_not_installed")\n\ndef test_x():\n    pass\n'
    )
    result = _run_pytest(tmp_path, allow=False, test_file=module)
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
    assert "a_framework_that_is_not_installed" in result.stdout


def test_gpu_only_skips_pass(tmp_path: Path) -> None:
    gpu_only = TESTS.split("def test_needs_a_missing_framework")[0]
    result = _run_pytest(tmp_path, allow=False, test_file=gpu_only)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 skipped" in result.stdout


def test_skips_can_be_allowed_on_purpose(tmp_path: Path) -> None:
    result = _run_pytest(tmp_path, allow=True)
    assert result.returncode == 0, result.stdout
    assert "allowed by TWICE_ALLOW_SKIPS" in result.stdout


def test_this_run_allows_no_skips_unless_told() -> None:
    """The test command itself sets nothing that would let skips pass."""
    tasks = (ROOT / "tasks.py").read_text()
    assert "TWICE_ALLOW_SKIPS" not in tasks
    assert "TWICE_ALLOW_SKIPS" not in (ROOT / ".ci" / "run").read_text()
