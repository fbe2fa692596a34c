"""Dense layers: the NumPy reference of chapter 1's formulas, and how their weights cross frameworks.

Each reference function is the formula written out once, in float64, with no framework in sight. The
notebooks and the tests check TensorFlow's and PyTorch's own results against these, so that a claim such as
"the gradient of softmax cross-entropy is softmax minus one-hot" is verified in both frameworks, not just
asserted. Shapes follow the glossary in :mod:`twice.layouts`.

Weights. Keras computes ``x @ kernel + bias`` with ``kernel`` of shape ``(in, out)``; ``nn.Linear`` computes
``x @ weight.T + bias`` with ``weight`` of shape ``(out, in)``: one is the transpose of the other
(:data:`DENSE_RULE`). A Dense that reads a flattened feature map is different (:data:`FLATTEN_DENSE_RULE`):
Keras flattens ``(N, H, W, C)`` maps and PyTorch ``(N, C, H, W)`` maps, so the same kernel shape lists its
inputs in another order, and a plain transpose *fits* but is silently wrong.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from . import checks
from .layouts import WeightRule

DENSE_RULE = WeightRule("Dense", "nn.Linear", keras="in out", torch="out in")
"""Keras ``Dense`` kernel ``(in, out)`` ⇄ ``nn.Linear`` weight ``(out, in)``: a transpose.

Introduced in chapter 2.

>>> kernel = np.arange(6.0).reshape(3, 2)           # 3 inputs, 2 outputs
>>> weight, bias = DENSE_RULE.to_torch(kernel, np.zeros(2))
>>> weight.shape, bool((weight == kernel.T).all())
((2, 3), True)
>>> bool((DENSE_RULE.to_keras(weight, bias)[0] == kernel).all())
True
"""

FLATTEN_DENSE_RULE = WeightRule(
    "Dense", "nn.Linear", keras="(H W C) out", torch="out (C H W)", sizes=("H", "W", "C")
)
"""A Dense after a Flatten: Keras' rows list the map in ``(H, W, C)`` order, PyTorch's columns in ``(C, H, W)``.

Give the feature map's sizes, the same in both directions. Introduced in chapter 2.

>>> kernel = np.arange(2 * 2 * 3 * 5.0).reshape(12, 5)   # a 2×2×3 map, flattened, to 5 units
>>> weight, _ = FLATTEN_DENSE_RULE.to_torch(kernel, None, H=2, W=2, C=3)
>>> weight.shape
(5, 12)
>>> bool((weight == kernel.T).all())                    # not a plain transpose
False
>>> bool((FLATTEN_DENSE_RULE.to_keras(weight, None, H=2, W=2, C=3)[0] == kernel).all())
True
"""

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
    """Softmax along the last axis, shifted by the maximum so that ``exp`` cannot overflow.

    Introduced in chapter 1.

    >>> softmax(np.array([[0.0, np.log(3.0)]])).round(2)
    array([[0.25, 0.75]])
    """
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    probabilities: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return probabilities


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean softmax cross-entropy: ``mean_n(logsumexp(z_n) - z_n[y_n])``, from logits and class indices.

    ``logits`` is ``(N, classes)``, ``labels`` ``(N,)`` integers. Introduced in chapter 1.

    >>> round(cross_entropy(np.zeros((4, 10)), np.arange(4)), 4)   # uniform guesses: log(10)
    2.3026
    """
    z, y = _check_logits_labels(logits, labels)
    shifted = z - z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y].mean())


def cross_entropy_grad(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to the logits: ``(softmax(z) - onehot(y)) / N``.

    Introduced in chapter 1.

    >>> cross_entropy_grad(np.zeros((1, 2)), np.array([1]))
    array([[ 0.5, -0.5]])
    """
    z, y = _check_logits_labels(logits, labels)
    grad = softmax(z)
    grad[np.arange(len(y)), y] -= 1.0
    return grad / len(y)


def init_mlp(sizes: Sequence[int], seed: int = 0) -> Params:
    """Glorot-uniform kernels and zero biases (Keras' defaults for ``Dense``) for a stack of dense layers.

    ``sizes=(64, 32, 10)`` gives two layers: 64→32 and 32→10. Arrays are ``float32``; kernels ``(in, out)``.
    Introduced in chapter 1.

    >>> [(kernel.shape, bias.shape) for kernel, bias in init_mlp((64, 32, 10))]
    [((64, 32), (32,)), ((32, 10), (10,))]

    Raises:
        TypeError: for a size or a seed that is not an integer.
        ValueError: for fewer than two sizes, a size that is not positive, or a seed out of range.
    """
    seed = checks.seed(seed)
    sizes = [checks.integer(s, "each of sizes", minimum=1) for s in sizes]
    if len(sizes) < 2:
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
    """Logits ``(N, out)`` of an MLP with ReLU between layers and none after the last: ``h = relu(h @ W + b)``.

    ``x`` is ``(N, in)``; ``params`` as :func:`init_mlp` makes them. Introduced in chapter 1.

    >>> mlp_forward(init_mlp((4, 3, 2)), np.ones((5, 4))).shape
    (5, 2)
    """
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
    """Mean cross-entropy of :func:`mlp_forward` and its gradients, by hand-written backpropagation.

    Returns the loss and one ``(d kernel, d bias)`` pair per layer, shaped like ``params``. Introduced in chapter 1.

    >>> loss, grads = mlp_loss_and_grads(init_mlp((4, 2)), np.ones((3, 4)), np.array([0, 1, 1]))
    >>> [g.shape for g in grads[0]]
    [(4, 2), (2,)]
    """
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

    The input ``params`` are not modified; ``batches`` holds index arrays into ``x`` and ``y``, such as
    :func:`twice.data.fixed_batches` makes. Introduced in chapter 1.

    >>> x, y = np.eye(4), np.array([0, 1, 0, 1])
    >>> losses, _ = train_mlp_sgd(init_mlp((4, 2)), x, y, [np.arange(4)] * 20, learning_rate=1.0)
    >>> bool(losses[-1] < losses[0])
    True

    Raises:
        TypeError: for a learning rate that is not a number.
        ValueError: for a learning rate that is not positive or an empty batch list.
    """
    learning_rate = checks.positive(learning_rate, "learning_rate")
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
