"""Early stopping's rule, on its own: which epoch it restores and when it stops, read off a validation curve.

Keras' ``EarlyStopping(patience=p, restore_best_weights=True)`` and the loop written out in chapter 2's PyTorch
notebook follow the same rule: stop after ``p`` epochs without a lower validation loss, and go back to the
weights of the epoch with the lowest one. Applied to a curve that was recorded without stopping, the rule says
what an early-stopped run would have done, so an experiment needs no runs of its own for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import checks

__all__ = ["early_stopping"]


def early_stopping(val_losses: Sequence[float], patience: int = 10) -> tuple[int, int]:
    """Early stopping's decisions on a validation curve: the epoch it restores and the epochs it runs.

    Epochs count from 1. A loss counts as an improvement only when it is strictly lower than the best so far,
    as in Keras' ``EarlyStopping`` with its default ``min_delta=0``. Introduced in chapter 2.

    >>> early_stopping([0.9, 0.5, 0.6, 0.7, 0.4], patience=2)
    (2, 4)
    >>> early_stopping([0.9, 0.5, 0.6, 0.4], patience=2)
    (4, 4)

    Raises:
        ValueError: if the curve is empty or ``patience`` is below 1.
    """
    patience = checks.integer(patience, "patience", minimum=1)
    if len(val_losses) == 0:
        raise ValueError("val_losses must hold at least one epoch's loss, got an empty sequence")
    best, wait = 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[best]:
            best, wait = epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best + 1, epoch + 1
    return best + 1, len(val_losses)
