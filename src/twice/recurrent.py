"""Recurrent layers: the NumPy reference of the RNN, LSTM and GRU recurrences, and how their weights cross.

The recurrences, as both frameworks compute them (``x_t`` is ``(N, in)``, ``h`` and ``c`` are ``(N, out)``,
``σ`` the logistic sigmoid; shapes follow the glossary in :mod:`twice.layouts`):

* simple RNN: ``h_t = tanh(x_t W + h_{t-1} U + b)``;
* LSTM, gates ``i, f, g, o`` (input, forget, cell candidate, output)::

      i = σ(x W_i + h U_i + b_i)    f = σ(x W_f + h U_f + b_f)
      g = tanh(x W_g + h U_g + b_g) o = σ(x W_o + h U_o + b_o)
      c_t = f ⊙ c_{t-1} + i ⊙ g     h_t = o ⊙ tanh(c_t)

* GRU, gates ``z, r`` (update, reset) and the candidate ``n``::

      z = σ(x W_z + h U_z + b_z + b'_z)    r = σ(x W_r + h U_r + b_r + b'_r)
      n = tanh(x W_n + b_n + r ⊙ (h U_n + b'_n))       (reset after: Keras' default, PyTorch's only form)
      n = tanh(x W_n + b_n + (r ⊙ h) U_n)              (reset before: Keras' reset_after=False)
      h_t = z ⊙ h_{t-1} + (1 - z) ⊙ n

Weights. Keras stores the gates side by side in ``kernel`` ``(in, gates·out)``, ``recurrent_kernel``
``(out, gates·out)`` and one ``bias`` ``(gates·out,)`` (a GRU with ``reset_after=True``: ``(2, gates·out)``,
the input and the recurrent bias). PyTorch stores ``weight_ih`` ``(gates·out, in)``, ``weight_hh``
``(gates·out, out)`` and two biases, ``bias_ih`` and ``bias_hh``, which are simply added (``b + b'``). The
gate orders: LSTM ``i, f, g, o`` in both (Keras calls ``g`` "c"); GRU ``z, r, n`` in Keras but ``r, z, n`` in
PyTorch. A port that transposes without reordering a GRU's gates runs, and is wrong. Each layer kind's
:class:`RecurrentRule` holds these facts as data (:data:`SIMPLE_RNN_RULE`, :data:`LSTM_RULE`,
:data:`GRU_RULE`); both directions follow from it. Introduced in chapter 3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import checks
from .layouts import rearrange

SEQUENCE_LAYOUTS: dict[str, str] = {"batch_first": "N T in", "time_first": "T N in"}
"""Batches of sequences: Keras' (and ``batch_first=True``) ``(N, T, in)``, PyTorch's default ``(T, N, in)``."""

Activation = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class RecurrentRule:
    """How one kind of recurrent layer stores its weights in Keras and in PyTorch.

    Attributes:
        keras_layer, torch_module: the layer kinds, for messages (``"LSTM"``, ``"nn.LSTM"``).
        keras_gates, torch_gates: the gates in the order each framework stacks them; the same names name
            the same gates (``()`` for a simple RNN, which has no gates, only one block).
        recurrent_bias: whether Keras keeps a second, recurrent bias (a GRU with ``reset_after=True``),
            which maps onto PyTorch's ``bias_hh``. Otherwise Keras has one bias: PyTorch's ``bias_ih +
            bias_hh``, so Keras → PyTorch puts it in ``bias_ih`` with ``bias_hh = 0`` and PyTorch → Keras adds
            the two. Keras → PyTorch → Keras is then exact, and PyTorch → Keras → PyTorch computes the same
            function with the bias moved into ``bias_ih``.

    Introduced in chapter 3.

    >>> kernel = np.arange(2 * 6.0).reshape(2, 6)            # GRU: in=2, out=2, gates z r n in Keras
    >>> weight_ih, *_ = GRU_RULE.to_torch(kernel, np.zeros((2, 6)), np.zeros((2, 6)))
    >>> weight_ih                                           # rows: r, then z, then n
    array([[ 2.,  8.],
           [ 3.,  9.],
           [ 0.,  6.],
           [ 1.,  7.],
           [ 4., 10.],
           [ 5., 11.]])
    """

    keras_layer: str
    torch_module: str
    keras_gates: tuple[str, ...]
    torch_gates: tuple[str, ...]
    recurrent_bias: bool = False

    def __post_init__(self) -> None:
        if sorted(self.keras_gates) != sorted(self.torch_gates):
            raise ValueError(f"the two gate orders must name the same gates: {self.keras_gates}, {self.torch_gates}")

    @property
    def keras(self) -> str:
        """The Keras gate order, for reports: ``"gates i f g o"``, or ``"one block"`` for a simple RNN."""
        return f"gates {' '.join(self.keras_gates)}" if self.keras_gates else "one block"

    @property
    def torch(self) -> str:
        """The PyTorch gate order, for reports."""
        return f"gates {' '.join(self.torch_gates)}" if self.torch_gates else "one block"

    @property
    def blocks(self) -> int:
        """How many ``out``-sized blocks the gates stack: 1, 4 (LSTM) or 3 (GRU)."""
        return max(len(self.keras_gates), 1)

    def _reorder(self, array: np.ndarray, pattern: str, target_gates: tuple[str, ...], name: str) -> np.ndarray:
        """``array`` with the stacked ``(gate out)`` axis of ``pattern`` put in ``target_gates`` order."""
        source_gates = self.torch_gates if target_gates == self.keras_gates else self.keras_gates
        if not source_gates:
            return array.copy()
        split = pattern.replace("(gate out)", "gate out")
        blocks = rearrange(array, pattern, split, sizes={"gate": self.blocks}, name=name)
        gate_axis = split.split().index("gate")
        order = [source_gates.index(gate) for gate in target_gates]
        moved = np.take(blocks, order, axis=gate_axis)
        return rearrange(moved, split, pattern, name=name).copy()

    def _units(self, kernel: np.ndarray, what: str) -> int:
        if kernel.shape[-1 if what.startswith("a Keras") else 0] % self.blocks:
            raise ValueError(f"{what} of shape {kernel.shape} does not stack {self.blocks} equal gates")
        return int(kernel.shape[-1 if what.startswith("a Keras") else 0]) // self.blocks

    def to_torch(
        self, kernel: object, recurrent_kernel: object, bias: object = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Keras' ``kernel``, ``recurrent_kernel`` and ``bias`` (or ``None``) as PyTorch's ``weight_ih``,
        ``weight_hh``, ``bias_ih`` and ``bias_hh``; new arrays, with the input dtype.

        Raises:
            TypeError: for arrays that are not numeric.
            ValueError: for shapes that do not fit together, or a GRU bias of ``reset_after=False`` (one bias
                row), which has no PyTorch counterpart.
        """
        what = f"a Keras {self.keras_layer} kernel"
        w = checks.array(kernel, what, ndim=2, shape=f"(in, {self.blocks}·out)")
        units = self._units(w, what)
        u = checks.array(recurrent_kernel, "recurrent_kernel", ndim=2, shape=f"(out, {self.blocks}·out)")
        if u.shape != (units, self.blocks * units):
            raise ValueError(
                f"recurrent_kernel must have shape ({units}, {self.blocks * units}) to match the kernel's "
                f"{units} units, got {u.shape}"
            )
        weight_ih = self._reorder(w.T, "(gate out) in", self.torch_gates, what)
        weight_hh = self._reorder(u.T, "(gate out) h", self.torch_gates, "recurrent_kernel")
        if bias is None:
            return weight_ih, weight_hh, None, None
        b = checks.array(bias, "bias")
        rows = 2 if self.recurrent_bias else 1
        expected = (2, self.blocks * units) if self.recurrent_bias else (self.blocks * units,)
        if self.recurrent_bias and b.shape == (self.blocks * units,):
            raise ValueError(
                f"a Keras {self.keras_layer} with one bias row is reset_after=False: it applies the reset gate "
                "before the recurrent product, (r * h) U, which PyTorch's GRU cannot compute (it has "
                "r * (h U + b)); build the Keras GRU with reset_after=True"
            )
        if b.shape != expected:
            raise ValueError(f"bias must have shape {expected} to match {units} units, got {b.shape}")
        b = b.reshape(rows, self.blocks * units)
        bias_ih = self._reorder(b[0], "(gate out)", self.torch_gates, "bias")
        bias_hh = self._reorder(b[1], "(gate out)", self.torch_gates, "bias") if rows == 2 else np.zeros_like(bias_ih)
        return weight_ih, weight_hh, bias_ih, bias_hh

    def to_keras(
        self, weight_ih: object, weight_hh: object, bias_ih: object = None, bias_hh: object = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """PyTorch's ``weight_ih``, ``weight_hh``, ``bias_ih`` and ``bias_hh`` (both or neither ``None``) as
        Keras' ``kernel``, ``recurrent_kernel`` and ``bias``; new arrays, with the input dtype.

        Raises:
            TypeError: for arrays that are not numeric.
            ValueError: for shapes that do not fit together, or one bias without the other.
        """
        what = f"an {self.torch_module} weight_ih"
        w = checks.array(weight_ih, what, ndim=2, shape=f"({self.blocks}·out, in)")
        units = self._units(w, what)
        u = checks.array(weight_hh, "weight_hh", ndim=2, shape=f"({self.blocks}·out, out)")
        if u.shape != (self.blocks * units, units):
            raise ValueError(
                f"weight_hh must have shape ({self.blocks * units}, {units}) to match weight_ih's {units} "
                f"units, got {u.shape}"
            )
        kernel = self._reorder(w, "(gate out) in", self.keras_gates, what).T.copy()
        recurrent_kernel = self._reorder(u, "(gate out) h", self.keras_gates, "weight_hh").T.copy()
        if bias_ih is None and bias_hh is None:
            return kernel, recurrent_kernel, None
        if bias_ih is None or bias_hh is None:
            raise ValueError("bias_ih and bias_hh come together: PyTorch layers have both or neither")
        b_ih, b_hh = checks.array(bias_ih, "bias_ih"), checks.array(bias_hh, "bias_hh")
        for name, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
            if b.shape != (self.blocks * units,):
                raise ValueError(f"{name} must have shape ({self.blocks * units},) to match {units} units, got {b.shape}")
        if self.recurrent_bias:
            rows = [self._reorder(b, "(gate out)", self.keras_gates, "bias") for b in (b_ih, b_hh)]
            return kernel, recurrent_kernel, np.stack(rows)
        return kernel, recurrent_kernel, self._reorder(b_ih + b_hh, "(gate out)", self.keras_gates, "bias")


SIMPLE_RNN_RULE = RecurrentRule("SimpleRNN", "nn.RNN", keras_gates=(), torch_gates=())
"""Keras ``SimpleRNN`` ⇄ ``nn.RNN``: transposes, and the two PyTorch biases folded into one. Introduced in chapter 3.

>>> weight_ih, weight_hh, bias_ih, bias_hh = SIMPLE_RNN_RULE.to_torch(np.ones((3, 2)), np.eye(2), np.ones(2))
>>> weight_ih.shape, bias_ih, bias_hh
((2, 3), array([1., 1.]), array([0., 0.]))
"""

LSTM_RULE = RecurrentRule("LSTM", "nn.LSTM", keras_gates=("i", "f", "g", "o"), torch_gates=("i", "f", "g", "o"))
"""Keras ``LSTM`` ⇄ ``nn.LSTM``: the same gate order; transposes, and the biases folded. Introduced in chapter 3.

>>> kernel, recurrent_kernel, bias = LSTM_RULE.to_keras(np.ones((8, 3)), np.ones((8, 2)), np.ones(8), np.ones(8))
>>> kernel.shape, recurrent_kernel.shape, bias[:2]
((3, 8), (2, 8), array([2., 2.]))
"""

GRU_RULE = RecurrentRule(
    "GRU", "nn.GRU", keras_gates=("z", "r", "n"), torch_gates=("r", "z", "n"), recurrent_bias=True
)
"""Keras ``GRU(reset_after=True)`` ⇄ ``nn.GRU``: the gates reordered, both biases kept. Introduced in chapter 3.

>>> _ = GRU_RULE.to_torch(np.ones((3, 6)), np.ones((2, 6)), np.ones(6))
Traceback (most recent call last):
ValueError: a Keras GRU with one bias row is reset_after=False: it applies the reset gate before the \
recurrent product, (r * h) U, which PyTorch's GRU cannot compute (it has r * (h U + b)); build the Keras GRU \
with reset_after=True
"""


# ----------------------------------------------------------------------------------------------------------
# The NumPy reference
# ----------------------------------------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, from ``e = exp(-|z|)``: no overflow, full precision.

    ``1 / (1 + e)`` for ``z >= 0`` and ``e / (1 + e)`` for ``z < 0``. Introduced in chapter 3.

    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    x = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(x))
    result: np.ndarray = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return result


def _checked(
    rule: RecurrentRule, x: object, kernel: object, recurrent_kernel: object, bias: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """float64 ``x``, ``W``, ``U``, the input bias and the recurrent bias, in Keras' gate order."""
    rule.to_torch(kernel, recurrent_kernel, bias)  # checks every shape, and refuses what does not fit
    w = np.asarray(kernel, dtype=np.float64)
    u = np.asarray(recurrent_kernel, dtype=np.float64)
    zeros = np.zeros(rule.blocks * u.shape[0])
    if bias is None:
        b, b2 = zeros, zeros
    elif rule.recurrent_bias:
        b, b2 = np.asarray(bias, dtype=np.float64)
    else:
        b, b2 = np.asarray(bias, dtype=np.float64), zeros
    xs = np.asarray(x, dtype=np.float64)
    if xs.ndim != 3 or xs.shape[2] != w.shape[0]:
        raise ValueError(f"x must have shape (N, T, {w.shape[0]}) (batch first), got {xs.shape}")
    return xs, w, u, b, b2


def _initial(state: object, n: int, units: int, name: str) -> np.ndarray:
    if state is None:
        return np.zeros((n, units))
    array = np.asarray(state, dtype=np.float64)
    if array.shape != (n, units):
        raise ValueError(f"{name} must have shape ({n}, {units}), got {array.shape}")
    return array


def _steps(mask: object, n: int, t: int) -> np.ndarray:
    if mask is None:
        return np.ones((n, t), dtype=bool)
    array = np.asarray(mask)
    if array.shape != (n, t) or array.dtype != np.bool_:
        raise ValueError(f"mask must be booleans of shape ({n}, {t}), got {array.dtype} {array.shape}")
    return array


def simple_rnn(
    x: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    initial_state: np.ndarray | None = None,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A Keras ``SimpleRNN`` (tanh) over ``x`` ``(N, T, in)``: every output ``(N, T, out)`` and the last state.

    Weights in Keras' layout: ``kernel`` ``(in, out)``, ``recurrent_kernel`` ``(out, out)``, ``bias``
    ``(out,)``. ``mask`` ``(N, T)``: where it is False the state is carried over unchanged and the output
    repeats the previous one, as Keras does (PyTorch's packed sequences give zeros there instead); the last
    state is then the state after the last True step. Introduced in chapter 3.

    >>> outputs, h = simple_rnn(np.ones((1, 3, 1)), np.ones((1, 1)), np.zeros((1, 1)))
    >>> outputs.round(4).tolist(), bool((h == outputs[:, -1]).all())
    ([[[0.7616], [0.7616], [0.7616]]], True)
    """
    xs, w, u, b, b2 = _checked(SIMPLE_RNN_RULE, x, kernel, recurrent_kernel, bias)
    n, t, _ = xs.shape
    h = _initial(initial_state, n, u.shape[0], "initial_state")
    keep = _steps(mask, n, t)
    outputs = np.empty((n, t, u.shape[0]))
    for step in range(t):
        new = np.tanh(xs[:, step] @ w + b + h @ u + b2)
        h = np.where(keep[:, step, None], new, h)
        outputs[:, step] = h
    return outputs, h


def lstm(
    x: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    initial_state: tuple[np.ndarray, np.ndarray] | None = None,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """A Keras ``LSTM`` over ``x`` ``(N, T, in)``: every output ``h_t`` ``(N, T, out)`` and the last ``(h, c)``.

    Weights in Keras' layout, gates ``i, f, g, o``: ``kernel`` ``(in, 4·out)``, ``recurrent_kernel``
    ``(out, 4·out)``, ``bias`` ``(4·out,)``. ``mask`` as in :func:`simple_rnn`. Introduced in chapter 3.

    >>> units = 1                                        # all gates open (0 + 100), cell candidate tanh(1)
    >>> bias = np.array([100.0, 100.0, 0.0, 100.0])
    >>> outputs, (h, c) = lstm(np.ones((1, 2, 1)), np.array([[0.0, 0.0, 1.0, 0.0]]), np.zeros((1, 4)), bias)
    >>> c.round(4), h.round(4)                           # c = tanh(1) twice, h = tanh(c)
    (array([[1.5232]]), array([[0.9093]]))
    """
    outputs = []
    for h, c, _ in _lstm_steps(x, kernel, recurrent_kernel, bias, initial_state, mask):
        outputs.append(h)
    return np.stack(outputs, axis=1), (h, c)


def _lstm_steps(
    x: object,
    kernel: object,
    recurrent_kernel: object,
    bias: object,
    initial_state: tuple[np.ndarray, np.ndarray] | None,
    mask: object,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(h_t, c_t, f_t)`` at every step of :func:`lstm` (``f_t`` is 1 where the mask holds the state)."""
    xs, w, u, b, b2 = _checked(LSTM_RULE, x, kernel, recurrent_kernel, bias)
    n, t, _ = xs.shape
    if t == 0:
        raise ValueError("x must have at least one time step")
    units = u.shape[0]
    h0, c0 = (None, None) if initial_state is None else initial_state
    h, c = _initial(h0, n, units, "initial h"), _initial(c0, n, units, "initial c")
    keep = _steps(mask, n, t)
    for step in range(t):
        z = xs[:, step] @ w + b + h @ u + b2
        i, f, g, o = (z[:, k * units : (k + 1) * units] for k in range(4))
        forget = sigmoid(f)
        new_c = forget * c + sigmoid(i) * np.tanh(g)
        new_h = sigmoid(o) * np.tanh(new_c)
        c = np.where(keep[:, step, None], new_c, c)
        h = np.where(keep[:, step, None], new_h, h)
        yield h, c, np.where(keep[:, step, None], forget, 1.0)


def forget_gate_product(
    x: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray | None = None
) -> np.ndarray:
    """``f_1 ⊙ f_2 ⊙ ... ⊙ f_T``, ``(N, out)``: how much of its first cell state an LSTM keeps along the cell.

    Along the cell's direct path ``∂c_t / ∂c_{t-1} = f_t`` (Eq. ``eq-lstm-cell``), so this product is the
    factor by which a memory written at the start survives ``T`` steps. Weights as in :func:`lstm`.
    Introduced in chapter 3.

    >>> kernel, recurrent = np.zeros((1, 4)), np.zeros((1, 4))
    >>> bias = np.array([0.0, 1.0, 0.0, 0.0])                  # forget-gate bias 1: f = σ(1) at every step
    >>> product = forget_gate_product(np.zeros((1, 10, 1)), kernel, recurrent, bias)
    >>> bool(np.isclose(product[0, 0], sigmoid(np.array(1.0)) ** 10))
    True
    """
    product: np.ndarray | None = None
    for _, _, forget in _lstm_steps(x, kernel, recurrent_kernel, bias, None, None):
        product = forget if product is None else product * forget
    assert product is not None  # _lstm_steps refuses sequences without steps
    return product


def keras_initialise(module: Any) -> Any:
    """Initialise a ``torch.nn`` RNN, LSTM or GRU as Keras initialises its twin, in place; return it.

    Keras: ``glorot_uniform`` kernels, ``orthogonal`` recurrent kernels, zero biases, and for an LSTM a forget-gate
    bias of 1 (``unit_forget_bias=True``). PyTorch's own default is ``U(-1/√out, 1/√out)`` for everything.
    ``xavier_uniform_`` on ``weight_ih`` ``(gates·out, in)`` has the same limit as Keras' glorot on
    ``(in, gates·out)``; the forget bias goes into ``bias_ih`` (PyTorch adds ``bias_hh``, which stays 0).
    Introduced in chapter 3.

    >>> import torch
    >>> lstm = keras_initialise(torch.nn.LSTM(2, 3))
    >>> lstm.bias_ih_l0.tolist()
    [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]

    Raises:
        TypeError: for a module that is not an ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``.
    """
    import torch
    from torch import nn

    if not isinstance(module, (nn.RNN, nn.LSTM, nn.GRU)):
        raise TypeError(f"module must be a torch.nn.RNN, LSTM or GRU, got {type(module).__name__}")
    units = module.hidden_size
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if name.startswith("weight_ih"):
                nn.init.xavier_uniform_(parameter)
            elif name.startswith("weight_hh"):
                nn.init.orthogonal_(parameter)
            else:
                parameter.zero_()
                if isinstance(module, nn.LSTM) and name.startswith("bias_ih"):
                    parameter[units : 2 * units] = 1.0  # gates i, f, g, o: the second block
    return module


def gru(
    x: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    reset_after: bool = True,
    initial_state: np.ndarray | None = None,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A Keras ``GRU`` over ``x`` ``(N, T, in)``: every output ``(N, T, out)`` and the last state.

    Weights in Keras' layout, gates ``z, r, n``: ``kernel`` ``(in, 3·out)``, ``recurrent_kernel``
    ``(out, 3·out)``; ``bias`` ``(2, 3·out)`` (input and recurrent) with ``reset_after=True``, ``(3·out,)``
    with ``reset_after=False``, where the reset gate multiplies the state *before* the recurrent product.
    ``mask`` as in :func:`simple_rnn`. Introduced in chapter 3.

    >>> rng = np.random.default_rng(0)
    >>> x, kernel, recurrent = rng.normal(size=(1, 4, 2)), rng.normal(size=(2, 9)), rng.normal(size=(3, 9))
    >>> after, h = gru(x, kernel, recurrent)
    >>> before, _ = gru(x, kernel, recurrent, reset_after=False)
    >>> after.shape, bool(np.allclose(after, before))       # where the reset gate acts matters
    ((1, 4, 3), False)
    """
    if not isinstance(reset_after, (bool, np.bool_)):
        raise TypeError(f"reset_after must be a bool, got {type(reset_after).__name__}")
    if reset_after:
        xs, w, u, b, b2 = _checked(GRU_RULE, x, kernel, recurrent_kernel, bias)
    else:
        # One bias, added to the input part: the same checks as an LSTM-style single bias.
        single = RecurrentRule("GRU", "nn.GRU", GRU_RULE.keras_gates, GRU_RULE.keras_gates)
        xs, w, u, b, b2 = _checked(single, x, kernel, recurrent_kernel, bias)
    n, t, _ = xs.shape
    units = u.shape[0]
    h = _initial(initial_state, n, units, "initial_state")
    keep = _steps(mask, n, t)
    outputs = np.empty((n, t, units))
    for step in range(t):
        xz, xr, xn = ((xs[:, step] @ w + b)[:, k * units : (k + 1) * units] for k in range(3))
        hz, hr, hn = ((h @ u + b2)[:, k * units : (k + 1) * units] for k in range(3))
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        candidate = np.tanh(xn + r * hn) if reset_after else np.tanh(xn + (r * h) @ u[:, 2 * units :])
        new = z * h + (1.0 - z) * candidate
        h = np.where(keep[:, step, None], new, h)
        outputs[:, step] = h
    return outputs, h
