"""Decoupled weight decay is applied *before* the Adam step, in Keras' AdamW and PyTorch's AdamW alike.

Chapter 2 says so (overview and both notebooks); an earlier draft said "after". One step from known weights,
with a learning rate and a decay large enough to tell the two orders apart, pins it for the pinned versions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
LR, DECAY = 0.1, 2.0
W0 = np.array([1.0, -2.0, 0.5], dtype=np.float32)
GRADIENT = np.array([0.3, 0.2, -0.4], dtype=np.float32)
# Adam's first step moves each weight by lr · m̂ / (√v̂ + ε) = lr · g / (|g| + ε) ≈ lr · sign(g).
ADAM_STEP = LR * GRADIENT / (np.abs(GRADIENT) + 1e-7)
BEFORE = W0 * (1 - LR * DECAY) - ADAM_STEP  # decay the weights, then take the Adam step
AFTER = (W0 - ADAM_STEP) * (1 - LR * DECAY)  # the order the draft described


def _keras_step() -> np.ndarray:
    import keras

    weights = keras.Variable(W0.copy())
    keras.optimizers.AdamW(learning_rate=LR, weight_decay=DECAY, epsilon=1e-7).apply_gradients(
        [(keras.ops.convert_to_tensor(GRADIENT), weights)]
    )
    return np.asarray(weights.numpy())


def _torch_step() -> np.ndarray:
    import torch

    weights = torch.nn.Parameter(torch.from_numpy(W0.copy()))
    weights.grad = torch.from_numpy(GRADIENT.copy())
    torch.optim.AdamW([weights], lr=LR, weight_decay=DECAY, eps=1e-7).step()
    return weights.detach().numpy()


@pytest.mark.parametrize("step", [_keras_step, _torch_step], ids=["keras", "torch"])
def test_adamw_decays_the_weights_before_the_adam_step(step: Callable[[], np.ndarray]) -> None:
    got = step()
    assert np.abs(BEFORE - AFTER).max() > 1e-2, "the two orders must be told apart"
    np.testing.assert_allclose(got, BEFORE, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("framework", ["tensorflow", "pytorch"])
def test_chapter_2_says_before(framework: str) -> None:
    notebook = json.loads((ROOT / "chapters" / "02_cnn" / f"{framework}.ipynb").read_text(encoding="utf-8"))
    text = " ".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    text = " ".join(text.split())
    assert "from the weights before the Adam step" in text and "after the Adam step" not in text
