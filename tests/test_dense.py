"""Tests for twice.dense: the NumPy formulas of chapter 1, checked against TensorFlow and PyTorch.

This is the book's claim in test form: softmax, cross-entropy, its gradient, an MLP's forward pass, its
backpropagation and plain SGD training give the same numbers in NumPy (float64), TensorFlow and PyTorch.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import twice
from twice.dense import (
    cross_entropy,
    cross_entropy_grad,
    init_mlp,
    mlp_forward,
    mlp_loss_and_grads,
    softmax,
    train_mlp_sgd,
)

Params = list[tuple[np.ndarray, np.ndarray]]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def _logits_labels(
    rng: np.random.Generator, n: int = 16, k: int = 7, scale: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(scale=scale, size=(n, k)), rng.integers(0, k, size=n)


def _random_params(rng: np.random.Generator, sizes: tuple[int, ...], dtype: Any = np.float32) -> Params:
    """init_mlp kernels with nonzero biases, so that the bias terms are checked too."""
    return [
        (k.astype(dtype), rng.normal(scale=0.1, size=b.shape).astype(dtype))
        for k, b in init_mlp(sizes, seed=7)
    ]


def _keras_mlp(keras: Any, params: Params) -> Any:
    layers: list[Any] = [keras.Input((params[0][0].shape[0],))]
    for i, (kernel, _) in enumerate(params):
        layers.append(keras.layers.Dense(kernel.shape[1], activation="relu" if i < len(params) - 1 else None))
    model = keras.Sequential(layers)
    model.set_weights([w.astype(np.float32) for pair in params for w in pair])
    return model


def _torch_mlp(torch: Any, params: Params, dtype: Any = None) -> Any:
    modules: list[Any] = []
    for i, (kernel, bias) in enumerate(params):
        linear = torch.nn.Linear(kernel.shape[0], kernel.shape[1])
        with torch.no_grad():
            # nn.Linear stores the kernel transposed, (out, in).
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.T)))
            linear.bias.copy_(torch.from_numpy(bias))
        modules.append(linear)
        if i < len(params) - 1:
            modules.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*modules)
    return model.to(dtype) if dtype is not None else model


# --- softmax -------------------------------------------------------------------------------------------------


def test_softmax_matches_tensorflow_and_torch(rng: np.random.Generator, tf: Any, torch: Any) -> None:
    z, _ = _logits_labels(rng)
    expected_tf = tf.nn.softmax(tf.constant(z)).numpy()
    expected_torch = torch.softmax(torch.from_numpy(z), dim=-1).numpy()
    np.testing.assert_allclose(softmax(z), expected_tf, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(softmax(z), expected_torch, rtol=1e-12, atol=1e-15)
    # And in float32, the frameworks' usual precision.
    z32 = z.astype(np.float32)
    np.testing.assert_allclose(softmax(z32), tf.nn.softmax(z32).numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        softmax(z32), torch.softmax(torch.from_numpy(z32), -1).numpy(), rtol=1e-5, atol=1e-7
    )


def test_softmax_is_a_distribution_along_the_last_axis(rng: np.random.Generator) -> None:
    z = rng.normal(size=(2, 3, 5))
    p = softmax(z)
    assert p.shape == z.shape and p.dtype == np.float64
    assert np.all(p > 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(softmax(z + 100.0), p, rtol=1e-12)  # shift invariance
    np.testing.assert_allclose(softmax(np.array([0.0, np.log(3.0)])), np.array([0.25, 0.75]), rtol=1e-14)


def test_softmax_is_stable_for_huge_logits(torch: Any) -> None:
    z = np.array([[1000.0, 1000.0, 0.0], [1000.0, -1000.0, 999.0], [-1000.0, -1000.0, -1000.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # (exp may underflow to 0: harmless)
        p = softmax(z)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p[0], [0.5, 0.5, 0.0], atol=1e-300)
    np.testing.assert_allclose(p[1], [1 / (1 + np.exp(-1)), 0.0, np.exp(-1) / (1 + np.exp(-1))], rtol=1e-14)
    np.testing.assert_allclose(p[2], [1 / 3] * 3, rtol=1e-14)
    np.testing.assert_allclose(p, torch.softmax(torch.from_numpy(z), -1).numpy(), rtol=1e-12, atol=1e-300)


# --- cross_entropy and its gradient --------------------------------------------------------------------------


def test_cross_entropy_matches_keras_loss(rng: np.random.Generator, keras: Any) -> None:
    z, y = _logits_labels(rng)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    expected = float(loss_fn(y, z.astype(np.float32)))
    assert cross_entropy(z, y) == pytest.approx(expected, rel=1e-5)


def test_cross_entropy_matches_torch(rng: np.random.Generator, torch: Any) -> None:
    z, y = _logits_labels(rng)
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(z), torch.from_numpy(y)).item()
    assert cross_entropy(z, y) == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_by_hand() -> None:
    # Uniform logits over k classes: the loss is log(k), whatever the labels.
    assert cross_entropy(np.zeros((4, 5)), np.array([0, 1, 2, 4])) == pytest.approx(np.log(5), rel=1e-14)
    z = np.array([[2.0, 0.0], [0.0, 2.0]])
    expected = np.mean([np.log1p(np.exp(-2.0)), np.log1p(np.exp(2.0))])
    assert cross_entropy(z, np.array([0, 0])) == pytest.approx(expected, rel=1e-14)
    assert isinstance(cross_entropy(z, np.array([0, 1])), float)


def test_cross_entropy_is_stable_for_huge_logits(torch: Any) -> None:
    z = np.array([[1000.0, 0.0], [0.0, 1000.0], [1000.0, 1000.0]])
    y = np.array([0, 0, 1])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = cross_entropy(z, y)
        grad = cross_entropy_grad(z, y)
    assert loss == pytest.approx((0.0 + 1000.0 + np.log(2.0)) / 3, rel=1e-14)
    assert np.all(np.isfinite(grad))
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(z), torch.from_numpy(y)).item()
    assert loss == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_grad_is_softmax_minus_onehot_over_n(rng: np.random.Generator) -> None:
    z, y = _logits_labels(rng, n=5, k=4)
    expected = (softmax(z) - np.eye(4)[y]) / 5
    np.testing.assert_allclose(cross_entropy_grad(z, y), expected, rtol=1e-14, atol=1e-17)
    np.testing.assert_allclose(cross_entropy_grad(z, y).sum(axis=1), 0.0, atol=1e-16)


def test_cross_entropy_grad_matches_gradient_tape(rng: np.random.Generator, tf: Any) -> None:
    z, y = _logits_labels(rng)
    logits = tf.Variable(z)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    expected = tape.gradient(loss, logits).numpy()
    assert float(loss) == pytest.approx(cross_entropy(z, y), rel=1e-12)
    np.testing.assert_allclose(cross_entropy_grad(z, y), expected, rtol=1e-10, atol=1e-15)


def test_cross_entropy_grad_matches_torch_autograd(rng: np.random.Generator, torch: Any) -> None:
    z, y = _logits_labels(rng)
    logits = torch.tensor(z, requires_grad=True)
    torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).backward()
    np.testing.assert_allclose(cross_entropy_grad(z, y), logits.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_cross_entropy_accepts_any_integer_label_dtype(rng: np.random.Generator) -> None:
    z, y = _logits_labels(rng)
    for dtype in (np.int8, np.uint8, np.int32, np.int64):
        assert cross_entropy(z, y.astype(dtype)) == cross_entropy(z, y)


@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad])
class TestLogitsLabelsErrors:
    def test_logits_must_be_2d(self, function: Any) -> None:
        with pytest.raises(ValueError, match=r"logits must have shape \(batch, classes\), got \(5,\)"):
            function(np.zeros(5), np.zeros(5, dtype=int))
        with pytest.raises(ValueError, match=r"logits must have shape \(batch, classes\), got \(2, 3, 4\)"):
            function(np.zeros((2, 3, 4)), np.zeros(2, dtype=int))

    @pytest.mark.parametrize("shape", [(4,), (3, 1), (2, 3)])
    def test_labels_must_match_the_batch(self, function: Any, shape: tuple[int, ...]) -> None:
        message = re.escape(f"labels must have shape (3,) to match the logits, got {shape}")
        with pytest.raises(ValueError, match=message):
            function(np.zeros((3, 4)), np.zeros(shape, dtype=int))

    @pytest.mark.parametrize(
        "labels", [np.array([0.0, 1.0, 2.0]), np.array([True, False, True]), np.array(["0", "1", "2"])]
    )
    def test_labels_must_be_integers(self, function: Any, labels: np.ndarray) -> None:
        with pytest.raises(
            ValueError, match=rf"labels must be integer class indices, got dtype {labels.dtype}"
        ):
            function(np.zeros((3, 4)), labels)

    @pytest.mark.parametrize(
        ("labels", "shown"), [([0, 4, 1], "0..4"), ([-1, 0, 1], "-1..1"), ([9, 9, 9], "9..9")]
    )
    def test_labels_must_be_in_range(self, function: Any, labels: list[int], shown: str) -> None:
        with pytest.raises(ValueError, match=rf"labels must lie in \[0, 4\), got values {shown}"):
            function(np.zeros((3, 4)), np.array(labels))


# --- init_mlp ------------------------------------------------------------------------------------------------


def test_init_mlp_shapes_dtypes_bound_and_zero_biases() -> None:
    sizes = (64, 32, 16, 10)
    params = init_mlp(sizes, seed=0)
    assert len(params) == 3
    for (kernel, bias), fan_in, fan_out in zip(params, sizes[:-1], sizes[1:]):
        assert kernel.shape == (fan_in, fan_out) and bias.shape == (fan_out,)
        assert kernel.dtype == np.float32 and bias.dtype == np.float32
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        assert np.abs(kernel).max() <= np.float32(limit)
        # Uniform over the whole interval: the extremes come close to the bound, the mean is near 0.
        assert np.abs(kernel).max() > 0.9 * limit
        assert abs(kernel.mean()) < 0.1 * limit
        np.testing.assert_array_equal(bias, 0.0)


def test_init_mlp_is_reproducible_and_seed_dependent() -> None:
    a, b, c = init_mlp([8, 4, 3], seed=5), init_mlp((8, 4, 3), seed=5), init_mlp((8, 4, 3), seed=6)
    for (ka, ba), (kb, bb) in zip(a, b):
        np.testing.assert_array_equal(ka, kb)
        np.testing.assert_array_equal(ba, bb)
    assert not np.array_equal(a[0][0], c[0][0])


def test_init_mlp_matches_the_keras_glorot_bound_of_a_dense_layer(keras: Any) -> None:
    # Same distribution family as Keras' Dense default: Glorot uniform with limit sqrt(6 / (in + out)).
    layer = keras.layers.Dense(10)
    layer.build((None, 64))
    keras_limit = np.abs(np.asarray(layer.kernel)).max()
    ours = np.abs(init_mlp((64, 10))[0][0]).max()
    limit = np.sqrt(6.0 / 74)
    assert keras_limit <= limit and ours <= limit
    assert keras_limit > 0.9 * limit and ours > 0.9 * limit


@pytest.mark.parametrize("sizes", [(), (64,), [10]])
def test_init_mlp_needs_at_least_two_sizes(sizes: Any) -> None:
    with pytest.raises(
        ValueError, match=re.escape(f"sizes must be at least two positive integers, got {list(sizes)}")
    ):
        init_mlp(sizes)


@pytest.mark.parametrize(("sizes", "shown"), [((64, 0), 0), ((64, -3), -3), ((0, 10, 5), 0)])
def test_init_mlp_rejects_sizes_that_are_not_positive(sizes: Any, shown: int) -> None:
    with pytest.raises(ValueError, match=rf"^each of sizes must be a positive integer, got {shown}$"):
        init_mlp(sizes)


@pytest.mark.parametrize(
    ("sizes", "shown"),
    [
        ((64, 3.0), "float 3.0"),
        ((True, 4), "bool True"),
        (("64", 10), "str '64'"),
        ((8, 4, None), "NoneType None"),
    ],
)
def test_init_mlp_rejects_sizes_that_are_not_integers(sizes: Any, shown: str) -> None:
    with pytest.raises(TypeError, match=f"^each of sizes must be an integer, got {re.escape(shown)}$"):
        init_mlp(sizes)


def test_init_mlp_rejects_a_missing_seed() -> None:
    with pytest.raises(TypeError, match=r"^seed must be an integer, got NoneType None$"):
        init_mlp((4, 3), seed=None)  # type: ignore[arg-type]


def test_init_mlp_accepts_numpy_integers() -> None:
    params = init_mlp(np.array([5, 3]))  # type: ignore[arg-type]
    assert params[0][0].shape == (5, 3)


# --- mlp_forward ---------------------------------------------------------------------------------------------

SIZES = (64, 16, 12, 10)


def test_mlp_forward_by_hand() -> None:
    params = [(np.array([[1.0, -1.0]]), np.array([0.0, 0.5])), (np.array([[2.0], [3.0]]), np.array([1.0]))]
    x = np.array([[1.0], [-2.0]])
    # h = relu(x @ W1 + b1) -> [[1, 0], [0, 2.5]]; logits = h @ W2 + b2 -> [[3], [8.5]].
    np.testing.assert_allclose(mlp_forward(params, x), [[3.0], [8.5]])
    # No ReLU after the last layer: negative logits survive.
    assert mlp_forward([(np.array([[-1.0]]), np.array([0.0]))], np.array([[2.0]]))[0, 0] == -2.0


def test_mlp_forward_matches_keras(rng: np.random.Generator, keras: Any) -> None:
    params = _random_params(rng, SIZES)
    x = rng.uniform(size=(9, 64)).astype(np.float32)
    expected = np.asarray(_keras_mlp(keras, params)(x))
    got = mlp_forward(params, x)
    assert got.shape == (9, 10) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_mlp_forward_matches_torch(rng: np.random.Generator, torch: Any) -> None:
    params = _random_params(rng, SIZES)
    x = rng.uniform(size=(9, 64)).astype(np.float32)
    with torch.no_grad():
        expected = _torch_mlp(torch, params)(torch.from_numpy(x)).numpy()
        exact = _torch_mlp(torch, params, torch.float64)(torch.from_numpy(x.astype(np.float64))).numpy()
    np.testing.assert_allclose(mlp_forward(params, x), expected, rtol=1e-5, atol=1e-5)
    # In float64 the weight copy (kernel.T) is checked to rounding error.
    np.testing.assert_allclose(mlp_forward(params, x), exact, rtol=1e-12, atol=1e-12)


def test_mlp_forward_bad_x() -> None:
    params = init_mlp((4, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(batch, features\), got \(4,\)"):
        mlp_forward(params, np.zeros(4))
    with pytest.raises(ValueError, match=r"x must have shape \(batch, features\), got \(1, 2, 4\)"):
        mlp_forward(params, np.zeros((1, 2, 4)))


def test_mlp_forward_mismatched_params() -> None:
    x = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"params must hold at least one \(kernel, bias\) pair"):
        mlp_forward([], x)
    with pytest.raises(
        ValueError, match=re.escape("layer 0: kernel (5, 3) and bias (3,) do not fit an input of width 4")
    ):
        mlp_forward(init_mlp((5, 3)), x)
    bad_bias = [init_mlp((4, 3))[0], (np.zeros((3, 2)), np.zeros(3))]
    with pytest.raises(
        ValueError, match=re.escape("layer 1: kernel (3, 2) and bias (3,) do not fit an input of width 3")
    ):
        mlp_forward(bad_bias, x)
    # A PyTorch-style (out, in) kernel is caught, not silently transposed.
    torch_style = [(np.zeros((3, 4)), np.zeros(3))]
    with pytest.raises(ValueError, match=r"layer 0: .*kernels are \(in, out\)"):
        mlp_forward(torch_style, x)
    with pytest.raises(ValueError, match=r"layer 0: kernel \(4,\)"):
        mlp_forward([(np.zeros(4), np.zeros(4))], x)


# --- mlp_loss_and_grads --------------------------------------------------------------------------------------


def test_loss_is_cross_entropy_of_the_forward_pass(rng: np.random.Generator) -> None:
    params = _random_params(rng, SIZES)
    x, y = rng.uniform(size=(6, 64)), rng.integers(0, 10, size=6)
    loss, grads = mlp_loss_and_grads(params, x, y)
    assert loss == cross_entropy(mlp_forward(params, x), y)
    assert [(gk.shape, gb.shape) for gk, gb in grads] == [(k.shape, b.shape) for k, b in params]
    assert all(gk.dtype == np.float64 for gk, _ in grads)


def test_grads_match_gradient_tape(rng: np.random.Generator, tf: Any) -> None:
    params = _random_params(rng, SIZES)
    x = rng.uniform(size=(11, 64)).astype(np.float32)
    y = rng.integers(0, 10, size=11)
    variables = [tf.Variable(w) for pair in params for w in pair]
    with tf.GradientTape() as tape:
        h = tf.constant(x)
        for i in range(len(params)):
            h = h @ variables[2 * i] + variables[2 * i + 1]
            if i < len(params) - 1:
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
    expected = [g.numpy() for g in tape.gradient(loss, variables)]
    ref_loss, ref_grads = mlp_loss_and_grads(params, x, y)
    assert ref_loss == pytest.approx(float(loss), rel=1e-5)
    for got, want in zip([g for pair in ref_grads for g in pair], expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_grads_match_torch_autograd(rng: np.random.Generator, torch: Any) -> None:
    params = _random_params(rng, SIZES)
    x = rng.uniform(size=(11, 64)).astype(np.float32)
    y = rng.integers(0, 10, size=11)
    model = _torch_mlp(torch, params)
    loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
    loss.backward()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    ref_loss, ref_grads = mlp_loss_and_grads(params, x, y)
    assert ref_loss == pytest.approx(loss.item(), rel=1e-5)
    for (gk, gb), linear in zip(ref_grads, linears):
        np.testing.assert_allclose(gk, linear.weight.grad.numpy().T, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(gb, linear.bias.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_grads_match_central_finite_differences() -> None:
    rng = np.random.default_rng(0)
    params = _random_params(rng, (3, 4, 3), dtype=np.float64)
    x, y = rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, 2])
    _, grads = mlp_loss_and_grads(params, x, y)
    eps = 1e-6
    for layer, (kernel, bias) in enumerate(params):
        for which, array in enumerate((kernel, bias)):
            numeric = np.zeros_like(array)
            for index in np.ndindex(array.shape):
                original = array[index]
                array[index] = original + eps
                plus = mlp_loss_and_grads(params, x, y)[0]
                array[index] = original - eps
                minus = mlp_loss_and_grads(params, x, y)[0]
                array[index] = original
                numeric[index] = (plus - minus) / (2 * eps)
            np.testing.assert_allclose(grads[layer][which], numeric, rtol=1e-6, atol=1e-9)
    # The check has teeth: not every gradient is (near) zero.
    assert all(np.abs(gk).max() > 1e-3 for gk, _ in grads)


def test_mlp_loss_and_grads_errors() -> None:
    params = init_mlp((4, 3))
    x = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"x must have shape \(batch, features\), got \(4,\)"):
        mlp_loss_and_grads(params, np.zeros(4), np.array([0]))
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\) to match the logits, got \(3,\)"):
        mlp_loss_and_grads(params, x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"labels must be integer class indices, got dtype float64"):
        mlp_loss_and_grads(params, x, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\), got values 0..3"):
        mlp_loss_and_grads(params, x, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"layer 0: kernel \(5, 3\)"):
        mlp_loss_and_grads(init_mlp((5, 3)), x, np.array([0, 1]))


# --- train_mlp_sgd -------------------------------------------------------------------------------------------

LEARNING_RATE = 0.1
TRAIN_SIZES = (64, 32, 10)


@pytest.fixture(scope="module")
def digits_training() -> dict[str, Any]:
    digits = twice.load_digits()
    x, y = digits.train("flat")
    batches = twice.fixed_batches(len(y), 32, epochs=2, seed=0)
    params = init_mlp(TRAIN_SIZES, seed=0)
    losses, final = train_mlp_sgd(params, x, y, batches, LEARNING_RATE)
    return {"x": x, "y": y, "batches": batches, "params": params, "losses": losses, "final": final}


def test_train_does_not_modify_its_input_params() -> None:
    params = init_mlp((6, 5, 3), seed=2)
    copies = [(k.copy(), b.copy()) for k, b in params]
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 6)), rng.integers(0, 3, size=8)
    _, final = train_mlp_sgd(params, x, y, twice.fixed_batches(8, 4, 2), 0.5)
    for (k, b), (k0, b0) in zip(params, copies):
        np.testing.assert_array_equal(k, k0)
        np.testing.assert_array_equal(b, b0)
        assert k.dtype == np.float32
    assert all(k.dtype == np.float64 and b.dtype == np.float64 for k, b in final)
    assert not np.array_equal(final[0][0], params[0][0])  # the returned params did move


def test_one_step_is_w_minus_lr_times_grad() -> None:
    params = init_mlp((6, 5, 3), seed=2)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(8, 6)), rng.integers(0, 3, size=8)
    batch = np.array([1, 4, 6])
    losses, final = train_mlp_sgd(params, x, y, [batch], 0.3)
    loss, grads = mlp_loss_and_grads(params, x[batch], y[batch])
    assert losses.shape == (1,) and losses[0] == loss
    for (k, b), (gk, gb), (k1, b1) in zip(params, grads, final):
        np.testing.assert_allclose(k1, k - 0.3 * gk, rtol=1e-15, atol=1e-15)
        np.testing.assert_allclose(b1, b - 0.3 * gb, rtol=1e-15, atol=1e-15)


def test_train_loss_decreases_on_digits(digits_training: dict[str, Any]) -> None:
    losses = digits_training["losses"]
    assert losses.shape == (len(digits_training["batches"]),) == (86,)
    assert np.all(np.isfinite(losses))
    assert losses[0] == pytest.approx(np.log(10), abs=0.5)  # an untrained net is near chance
    assert losses[-10:].mean() < 0.5 * losses[:10].mean()
    x, y = digits_training["x"], digits_training["y"]
    before = cross_entropy(mlp_forward(digits_training["params"], x), y)
    after = cross_entropy(mlp_forward(digits_training["final"], x), y)
    assert after < 0.5 * before
    accuracy = (mlp_forward(digits_training["final"], x).argmax(axis=1) == y).mean()
    assert accuracy > 0.7  # 2 epochs of plain SGD; chance is 0.1


def _tf_sgd_losses(tf: Any, keras: Any, run: dict[str, Any]) -> np.ndarray:
    model = _keras_mlp(keras, run["params"])
    optimizer = keras.optimizers.SGD(learning_rate=LEARNING_RATE)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x, y = run["x"], run["y"]
    losses = []
    for index in run["batches"]:
        with tf.GradientTape() as tape:
            loss = loss_fn(y[index], model(x[index], training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    return np.array(losses)


def _torch_sgd_losses(torch: Any, run: dict[str, Any]) -> np.ndarray:
    model = _torch_mlp(torch, run["params"])
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    x, y = torch.from_numpy(run["x"]), torch.from_numpy(run["y"])
    losses = []
    for index in run["batches"]:
        index = torch.from_numpy(index)
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x[index]), y[index])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses)


def test_sgd_loss_curves_agree_across_numpy_tensorflow_and_pytorch(
    digits_training: dict[str, Any], tf: Any, keras: Any, torch: Any
) -> None:
    reference = digits_training["losses"]
    tf_losses = _tf_sgd_losses(tf, keras, digits_training)
    torch_losses = _torch_sgd_losses(torch, digits_training)
    assert tf_losses.shape == torch_losses.shape == reference.shape
    np.testing.assert_allclose(tf_losses, reference, rtol=0, atol=1e-4)
    np.testing.assert_allclose(torch_losses, reference, rtol=0, atol=1e-4)
    np.testing.assert_allclose(tf_losses, torch_losses, rtol=0, atol=1e-4)
    # The curves are not trivially equal because they are flat: training moved the loss a lot.
    assert reference[0] - reference[-1] > 1.0


@pytest.mark.parametrize("learning_rate", [0, 0.0, -0.1, float("nan"), -np.inf])
def test_train_rejects_non_positive_learning_rates(learning_rate: float) -> None:
    params = init_mlp((4, 3))
    x, y = np.zeros((2, 4)), np.array([0, 1])
    with pytest.raises(ValueError, match=rf"^learning_rate must be positive, got {learning_rate}$"):
        train_mlp_sgd(params, x, y, [np.array([0, 1])], learning_rate)


@pytest.mark.parametrize(
    ("learning_rate", "shown"), [("0.1", "str '0.1'"), (None, "NoneType None"), (True, "bool True")]
)
def test_train_rejects_learning_rates_that_are_not_numbers(learning_rate: object, shown: str) -> None:
    params = init_mlp((4, 3))
    x, y = np.zeros((2, 4)), np.array([0, 1])
    with pytest.raises(TypeError, match=f"^learning_rate must be a number, got {re.escape(shown)}$"):
        train_mlp_sgd(params, x, y, [np.array([0, 1])], learning_rate)  # type: ignore[arg-type]


def test_train_accepts_a_numpy_learning_rate() -> None:
    params = init_mlp((4, 3))
    x, y = np.eye(4), np.array([0, 1, 2, 0])
    by_numpy = train_mlp_sgd(params, x, y, [np.arange(4)], np.float32(0.5))  # type: ignore[arg-type]
    by_float = train_mlp_sgd(params, x, y, [np.arange(4)], 0.5)
    np.testing.assert_array_equal(by_numpy[0], by_float[0])
    np.testing.assert_array_equal(by_numpy[1][0][0], by_float[1][0][0])


@pytest.mark.parametrize("batches", [[], (), np.zeros((0, 2), dtype=int)])
def test_train_rejects_empty_batches(batches: Any) -> None:
    params = init_mlp((4, 3))
    with pytest.raises(ValueError, match=r"batches must not be empty"):
        train_mlp_sgd(params, np.zeros((2, 4)), np.array([0, 1]), batches, 0.1)


def test_train_propagates_label_errors() -> None:
    params = init_mlp((4, 3))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        train_mlp_sgd(params, np.zeros((2, 4)), np.array([0, 7]), [np.array([0, 1])], 0.1)
