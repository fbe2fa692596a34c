"""Settings for the whole test run: what nbval compares, and which skips are allowed.

nbval compares each code cell's outputs with the committed ones. Compared: text/plain and stdout (and
anything else not listed here). Not compared, on purpose: stderr (framework log noise, which differs by
machine) and rich mime types that embed volatile markup or ids. Images are never compared by nbval.
Cells whose text depends on the machine carry the tag ``nbval-ignore-output`` and are followed by a cell
that asserts the claim with a tolerance. A figure's text is its title (see ``twice.plotting.figure_text``).

A run that is green because tests were skipped is not green. The only tests that may skip are those marked
``gpu`` (they need a GPU, or need its absence, and say so); any other skip fails the run, so that a missing
or broken TensorFlow or PyTorch cannot pass unnoticed. On a machine that lacks a framework on purpose (a GPU
machine without TensorFlow, say), set ``TWICE_ALLOW_SKIPS=1``: the skips are then listed, not failed.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

VOLATILE_OUTPUTS = (
    "stderr",
    "text/html",
    "application/javascript",
    "application/vnd.jupyter.widget-view+json",
)
ALLOW_SKIPS = "TWICE_ALLOW_SKIPS"

_gpu_tests: set[str] = set()
_unexpected_skips: list[str] = []


def pytest_collectstart(collector: Any) -> None:
    if getattr(collector, "skip_compare", None) is not None:
        collector.skip_compare = tuple(collector.skip_compare) + VOLATILE_OUTPUTS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _gpu_tests.update(item.nodeid for item in items if item.get_closest_marker("gpu"))


def _note_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    # Under pytest-xdist (the notebooks' run) the controller did not collect: a report carries its test's
    # markers among its keywords.
    gpu = report.nodeid in _gpu_tests or "gpu" in getattr(report, "keywords", {})
    if report.skipped and not hasattr(report, "wasxfail") and not gpu:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _unexpected_skips.append(f"{report.nodeid or 'collection'}: {reason}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _note_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _note_skip(report)  # a whole module skipped, e.g. by pytest.importorskip at its top


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _unexpected_skips:
        verdict = "allowed by " + ALLOW_SKIPS if os.environ.get(ALLOW_SKIPS) == "1" else "these fail the run"
        terminalreporter.section(f"skipped tests that are not GPU-only ({verdict})", red=True)
        for line in _unexpected_skips:
            terminalreporter.line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    passing = (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
    if _unexpected_skips and os.environ.get(ALLOW_SKIPS) != "1" and exitstatus in passing:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
