"""A PyTorch training loop with Keras' ``fit`` semantics, so that the two notebooks report the same things.

Chapter 1 writes the loop out once; later chapters call :func:`fit`. It mirrors ``keras.Model.fit``:
the epoch's training loss is the mean over its examples of the loss computed *during* the epoch (with
dropout active), validation metrics are computed at the end of the epoch in evaluation mode, and early
stopping monitors the validation loss and restores the best weights, like
``keras.callbacks.EarlyStopping(restore_best_weights=True)``.

Importing this module imports PyTorch.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from . import checks


def _to_tensor(array: np.ndarray | torch.Tensor, device: torch.device) -> torch.Tensor:
    if isinstance(array, torch.Tensor):
        return array.to(device)
    return torch.from_numpy(np.ascontiguousarray(array)).to(device)


@torch.no_grad()
def predict_logits(
    model: torch.nn.Module, x: np.ndarray | torch.Tensor, *, batch_size: int = 512, device: Any = None
) -> np.ndarray:
    """The model's outputs for ``x`` in evaluation mode, batch by batch, as a NumPy array.

    The model's training/evaluation mode is restored afterwards. Introduced in chapter 2.

    >>> model = torch.nn.Linear(4, 3)
    >>> predict_logits(model, np.zeros((10, 4), dtype=np.float32), batch_size=4).shape
    (10, 3)
    """
    batch_size = checks.integer(batch_size, "batch_size", minimum=1)
    if len(x) == 0:
        raise ValueError("x is empty: nothing to predict")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        outputs = [
            model(_to_tensor(x[i : i + batch_size], device)).cpu() for i in range(0, len(x), batch_size)
        ]
    finally:
        model.train(was_training)
    return torch.cat(outputs).numpy()


def fit(
    model: torch.nn.Module,
    batches: Iterator[tuple[np.ndarray, np.ndarray]],
    *,
    steps_per_epoch: int,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    early_stopping_patience: int | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
    device: Any = None,
    on_epoch_end: Callable[[int, dict[str, list[float]]], None] | None = None,
) -> dict[str, list[float]]:
    """Train ``model`` on ``steps_per_epoch`` batches per epoch from ``batches``; return the history.

    Args:
        batches: an iterator of ``(x, y)`` NumPy batches, e.g. :func:`twice.data.batch_stream`.
        scheduler: stepped after every batch (so a cosine schedule over ``epochs * steps_per_epoch`` steps
            matches ``keras.optimizers.schedules.CosineDecay``).
        validation_data: ``(x_val, y_val)``; needed for ``val_*`` metrics and for early stopping.
        early_stopping_patience: stop after this many epochs without a lower validation loss, and restore
            the weights of the best epoch.
        loss_fn: ``loss_fn(logits, y)``, the batch's mean loss. The model's outputs may be ``(N, classes)``
            with labels ``(N,)``, or one prediction per time step, ``(N, T, classes)`` with labels
            ``(N, T)``; then give a loss that takes that shape (``F.cross_entropy`` wants the classes on
            axis 1, so e.g. ``lambda z, y: F.cross_entropy(z.flatten(0, 1), y.flatten())``). The accuracy
            is the share of correct predictions over all of them, as Keras counts it.
        device: where to train; by default the device of the model's parameters.
        on_epoch_end: called as ``on_epoch_end(epoch, history)`` after each epoch's validation (epochs count
            from 1), before early stopping decides; e.g. to keep a copy of every epoch's weights, as a Keras
            ``LambdaCallback(on_epoch_end=...)`` would.

    Returns:
        ``{"loss", "accuracy"}`` per epoch, plus ``{"val_loss", "val_accuracy"}`` with validation data — the
        keys of Keras' ``History.history``. With early stopping the lists are as long as the epochs run.

    Introduced in chapter 2, after chapter 1 writes the loop out by hand.

    >>> from twice.data import batch_stream
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    >>> x, y = np.eye(4, dtype=np.float32).reshape(4, 2, 2), np.array([0, 1, 0, 1])
    >>> history = fit(model, batch_stream(x, y, batch_size=2), steps_per_epoch=2, epochs=3,
    ...               optimizer=torch.optim.SGD(model.parameters(), lr=0.5), validation_data=(x, y))
    >>> sorted(history), len(history["loss"])
    (['accuracy', 'loss', 'val_accuracy', 'val_loss'], 3)

    Raises:
        TypeError: for counts that are not integers.
        ValueError: for counts that are not positive, or early stopping without validation data.
    """
    steps_per_epoch = checks.integer(steps_per_epoch, "steps_per_epoch", minimum=1)
    epochs = checks.integer(epochs, "epochs", minimum=1)
    if early_stopping_patience is not None:
        if validation_data is None:
            raise ValueError("early stopping monitors the validation loss: pass validation_data")
        early_stopping_patience = checks.integer(early_stopping_patience, "early_stopping_patience", minimum=1)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    if validation_data is not None:
        history["val_loss"], history["val_accuracy"] = [], []
        x_val = _to_tensor(validation_data[0], device)
        y_val = _to_tensor(validation_data[1], device)
    best_loss, best_state, waited = math.inf, None, 0
    for epoch in range(1, epochs + 1):
        model.train()
        total_loss, seen, correct, predicted = 0.0, 0, 0, 0
        for _ in range(steps_per_epoch):
            x_np, y_np = next(batches)
            x, y = _to_tensor(x_np, device), _to_tensor(y_np, device)
            optimizer.zero_grad()
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            # As Keras: the epoch's loss is the mean of the batch losses weighted by the number of examples,
            # the accuracy the mean over every prediction (one per example, or one per time step).
            total_loss += loss.item() * len(y)
            seen += len(y)
            matches = logits.argmax(dim=-1) == y
            correct += int(matches.sum())
            predicted += matches.numel()
        history["loss"].append(total_loss / seen)
        history["accuracy"].append(correct / predicted)
        if validation_data is None:
            if on_epoch_end is not None:
                on_epoch_end(epoch, history)
            continue
        model.eval()
        with torch.no_grad():
            val_logits = model(x_val)
            val_loss = float(loss_fn(val_logits, y_val))
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(float((val_logits.argmax(dim=-1) == y_val).float().mean()))
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
        if early_stopping_patience is not None:
            if val_loss < best_loss:
                best_loss, best_state, waited = val_loss, copy.deepcopy(model.state_dict()), 0
            else:
                waited += 1
                if waited >= early_stopping_patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history
