"""Tests for twice.stopping: early stopping's rule read off a validation curve."""

from __future__ import annotations

import numpy as np
import pytest

from twice.stopping import early_stopping


def _run_with_stopping(curve: list[float], patience: int) -> tuple[int, int]:
    """The rule as a training loop applies it, epoch by epoch (the loop of chapter 2's PyTorch notebook)."""
    best_loss, best_epoch, waited = float("inf"), 0, 0
    for epoch, loss in enumerate(curve, start=1):
        if loss < best_loss:
            best_loss, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return best_epoch, epoch
    return best_epoch, len(curve)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("patience", [1, 3, 10])
def test_the_rule_decides_as_a_loop_that_stops(seed: int, patience: int) -> None:
    curve = list(np.random.default_rng(seed).normal(size=40).cumsum() * 0.1 + 5)
    assert early_stopping(curve, patience) == _run_with_stopping(curve, patience)


def test_a_tie_is_no_improvement() -> None:
    assert early_stopping([1.0, 1.0, 1.0], patience=2) == (1, 3)


def test_a_curve_that_keeps_improving_runs_to_the_end() -> None:
    assert early_stopping([3.0, 2.0, 1.0], patience=1) == (3, 3)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        early_stopping([], patience=2)
    with pytest.raises(ValueError, match="patience"):
        early_stopping([1.0], patience=0)
