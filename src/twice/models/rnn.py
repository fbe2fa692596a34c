"""Chapter 3's recurrent networks, each as a Keras twin and a PyTorch twin.

* The survey's sequence classifier: stacked LSTMs whose last time step goes into a linear layer
  (:func:`keras_sequence_classifier`, :func:`torch_sequence_classifier`).
* The adding problem's regressor: one recurrent layer of any kind, its last state into one output
  (:func:`keras_adding_model`, :func:`torch_adding_model`).

Inputs are batch-first, ``(N, T, in)``, in both. Importing this module imports neither framework; each builder
imports its own. Introduced in chapter 3.
"""

from __future__ import annotations

from typing import Any

from .. import checks

KINDS = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}
"""The recurrent kinds, by their Keras name, with their ``torch.nn`` name."""


def _kind(kind: object) -> str:
    return checks.one_of(kind, "kind", tuple(KINDS))


def keras_sequence_classifier(
    steps: int, features: int, *, units: int = 32, layers: int = 2, classes: int = 10
) -> Any:
    """Stacked Keras LSTMs over ``(N, steps, features)``, the last step's output into ``classes`` logits.

    Every LSTM but the last returns its whole sequence (``return_sequences=True``), so the next one can read
    it. Introduced in chapter 3.

    >>> [type(layer).__name__ for layer in keras_sequence_classifier(8, 8).layers]
    ['LSTM', 'LSTM', 'Dense']

    Raises:
        TypeError, ValueError: for sizes that are not positive integers.
    """
    import keras

    steps, features = checks.integer(steps, "steps", minimum=1), checks.integer(features, "features", minimum=1)
    units, layers = checks.integer(units, "units", minimum=1), checks.integer(layers, "layers", minimum=1)
    classes = checks.integer(classes, "classes", minimum=1)
    stack = [keras.layers.LSTM(units, return_sequences=i < layers - 1) for i in range(layers)]
    return keras.Sequential([keras.Input((steps, features)), *stack, keras.layers.Dense(classes)])


def torch_sequence_classifier(features: int, *, units: int = 32, layers: int = 2, classes: int = 10) -> Any:
    """The same classifier in PyTorch: one ``nn.LSTM(num_layers=layers, batch_first=True)`` and an
    ``nn.Linear`` on its output at the last time step. Introduced in chapter 3.

    >>> model = torch_sequence_classifier(8)
    >>> [name for name, _ in model.named_children()], model.lstm.num_layers
    (['lstm', 'linear'], 2)

    Raises:
        TypeError, ValueError: for sizes that are not positive integers.
    """
    import torch
    from torch import nn

    features = checks.integer(features, "features", minimum=1)
    units, layers = checks.integer(units, "units", minimum=1), checks.integer(layers, "layers", minimum=1)
    classes = checks.integer(classes, "classes", minimum=1)

    class SequenceClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(features, units, num_layers=layers, batch_first=True)
            self.linear = nn.Linear(units, classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            outputs, _ = self.lstm(x)
            logits: torch.Tensor = self.linear(outputs[:, -1])  # the last time step
            return logits

    return SequenceClassifier()


def keras_adding_model(kind: str, steps: int, *, units: int = 32) -> Any:
    """A Keras ``SimpleRNN``, ``LSTM`` or ``GRU`` over ``(N, steps, 2)``, its last state into one output.

    Introduced in chapter 3.

    >>> keras_adding_model("GRU", 40).output_shape
    (None, 1)

    Raises:
        ValueError: for an unknown kind; TypeError, ValueError for sizes that are not positive integers.
    """
    import keras

    kind = _kind(kind)
    steps, units = checks.integer(steps, "steps", minimum=1), checks.integer(units, "units", minimum=1)
    return keras.Sequential([keras.Input((steps, 2)), getattr(keras.layers, kind)(units), keras.layers.Dense(1)])


def torch_adding_model(kind: str, *, units: int = 32) -> Any:
    """The same in PyTorch: ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` (batch first), the last step into an
    ``nn.Linear(units, 1)``; the output is ``(N,)``. ``kind`` takes the Keras names. Introduced in chapter 3.

    >>> import torch
    >>> torch_adding_model("SimpleRNN")(torch.zeros(5, 40, 2)).shape
    torch.Size([5])

    Raises:
        ValueError: for an unknown kind; TypeError, ValueError for a size that is not a positive integer.
    """
    import torch
    from torch import nn

    kind = _kind(kind)
    units = checks.integer(units, "units", minimum=1)

    class AddingModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = getattr(nn, KINDS[kind])(2, units, batch_first=True)
            self.head = nn.Linear(units, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            outputs, _ = self.rnn(x)
            prediction: torch.Tensor = self.head(outputs[:, -1])[:, 0]
            return prediction

    return AddingModel()
