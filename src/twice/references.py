"""NumPy reference implementations of the formulas the book states.

Each function is the formula written out once, in float64, with no framework in sight. The notebooks and
the tests check TensorFlow's and PyTorch's own results against these, so that a claim such as "the gradient
of softmax cross-entropy is softmax minus one-hot" is verified in both frameworks, not just asserted.

Weight layout: dense kernels are stored as ``(in, out)``, as Keras stores them; PyTorch's ``nn.Linear``
stores the transpose, ``(out, in)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from .determinism import check_seed

Params = list[tuple[np.ndarray, np.ndarray]]
"""An MLP's parameters: one ``(kernel (in, out), bias (out,))`` pair per dense layer."""


def _check_logits_labels(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (batch, classes), got {logits.shape}")
    if labels.shape != (logits.shape[0],):
        raise ValueError(
            f"labels must have shape ({logits.shape[0]},) to match the logits, got {labels.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integer class indices, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(
            f"labels must lie in [0, {logits.shape[1]}), got values {labels.min()}..{labels.max()}"
        )
    return logits, labels.astype(np.int64)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax along the last axis, shifted by the maximum so that ``exp`` cannot overflow."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    probabilities: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return probabilities


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean softmax cross-entropy: ``mean_n(logsumexp(z_n) - z_n[y_n])``, from logits and class indices."""
    z, y = _check_logits_labels(logits, labels)
    shifted = z - z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y].mean())


def cross_entropy_grad(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to the logits: ``(softmax(z) - onehot(y)) / N``."""
    z, y = _check_logits_labels(logits, labels)
    grad = softmax(z)
    grad[np.arange(len(y)), y] -= 1.0
    return grad / len(y)


def init_mlp(sizes: Sequence[int], seed: int = 0) -> Params:
    """Glorot-uniform kernels and zero biases (Keras' defaults for ``Dense``) for a stack of dense layers.

    ``sizes=(64, 32, 10)`` gives two layers: 64→32 and 32→10. Arrays are ``float32``; kernels ``(in, out)``.

    Raises:
        ValueError: for fewer than two sizes or a size that is not a positive integer, or a seed out of range.
        TypeError: for a seed that is not an integer.
    """
    seed = check_seed(seed)
    sizes = list(sizes)
    if len(sizes) < 2 or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes
    ):
        raise ValueError(f"sizes must be at least two positive integers, got {sizes}")
    rng = np.random.default_rng(seed)
    params: Params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        kernel = rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)
        params.append((kernel, np.zeros(fan_out, dtype=np.float32)))
    return params


def _check_params(params: Params, x: np.ndarray) -> None:
    if not params:
        raise ValueError("params must hold at least one (kernel, bias) pair")
    width = x.shape[1]
    for i, (kernel, bias) in enumerate(params):
        if kernel.ndim != 2 or kernel.shape[0] != width or bias.shape != (kernel.shape[1],):
            raise ValueError(
                f"layer {i}: kernel {kernel.shape} and bias {bias.shape} do not fit an input of width {width} "
                "(kernels are (in, out), biases (out,))"
            )
        width = kernel.shape[1]


def mlp_forward(params: Params, x: np.ndarray) -> np.ndarray:
    """Logits of an MLP with ReLU between layers and none after the last: ``h = relu(h @ W + b)``."""
    h = np.asarray(x, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError(f"x must have shape (batch, features), got {h.shape}")
    _check_params(params, h)
    for i, (kernel, bias) in enumerate(params):
        h = h @ kernel.astype(np.float64) + bias.astype(np.float64)
        if i < len(params) - 1:
            h = np.maximum(h, 0.0)
    return h


def mlp_loss_and_grads(params: Params, x: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    """Mean cross-entropy of :func:`mlp_forward` and its gradients, by hand-written backpropagation."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (batch, features), got {x.shape}")
    _check_params(params, x)
    activations = [x]
    h = x
    for i, (kernel, bias) in enumerate(params):
        h = h @ kernel.astype(np.float64) + bias.astype(np.float64)
        if i < len(params) - 1:
            h = np.maximum(h, 0.0)
        activations.append(h)
    loss = cross_entropy(h, y)
    delta = cross_entropy_grad(h, y)  # dL/dlogits
    grads: Params = []
    for i in range(len(params) - 1, -1, -1):
        inputs = activations[i]
        grads.append((inputs.T @ delta, delta.sum(axis=0)))
        if i > 0:
            delta = (delta @ params[i][0].astype(np.float64).T) * (activations[i] > 0)
    return loss, grads[::-1]


def train_mlp_sgd(
    params: Params, x: np.ndarray, y: np.ndarray, batches: Sequence[np.ndarray], learning_rate: float
) -> tuple[np.ndarray, Params]:
    """Plain SGD (``w -= lr * grad``) over the given batches; returns the loss of every step and the final params.

    The input ``params`` are not modified.

    Raises:
        ValueError: for a learning rate that is not positive or an empty batch list.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}")
    if len(batches) == 0:
        raise ValueError("batches must not be empty")
    current = [(k.astype(np.float64), b.astype(np.float64)) for k, b in params]
    losses = np.empty(len(batches))
    for step, index in enumerate(batches):
        losses[step], grads = mlp_loss_and_grads(current, x[index], y[index])
        current = [
            (k - learning_rate * gk, b - learning_rate * gb) for (k, b), (gk, gb) in zip(current, grads)
        ]
    return losses, current
