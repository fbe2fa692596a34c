"""Chapter 3's recurrent networks, each as a Keras twin and a PyTorch twin.

* The survey's sequence classifier: stacked LSTMs whose last time step goes into a linear layer
  (:func:`keras_sequence_classifier`, :func:`torch_sequence_classifier`).
* A stack of bidirectional recurrent layers that returns its last layer's states, for parity checks
  (:func:`keras_bidirectional_stack`; its PyTorch twin is one ``nn.LSTM``/``nn.GRU`` module).
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


def keras_bidirectional_stack(
    kind: str, steps: int, features: int, *, units: int, layers: int = 2, dtype: str = "float32"
) -> Any:
    """``layers`` Keras ``Bidirectional`` recurrent layers over ``(N, steps, features)``, every step returned.

    The twin of ``nn.LSTM(features, units, num_layers=layers, bidirectional=True, batch_first=True)`` (or
    ``nn.GRU``, ``nn.RNN``). The model returns the last layer's outputs ``(N, steps, 2·units)`` followed by its
    final states: ``h_forward, c_forward, h_backward, c_backward`` for an LSTM, ``h_forward, h_backward``
    otherwise (PyTorch returns them stacked instead, ``(layers · 2, N, units)``). Introduced in chapter 3.

    >>> [tuple(t.shape) for t in keras_bidirectional_stack("GRU", 6, 3, units=4).outputs]
    [(None, 6, 8), (None, 4), (None, 4)]

    Raises:
        ValueError: for an unknown kind; TypeError, ValueError for sizes that are not positive integers.
    """
    import keras

    kind = _kind(kind)
    steps, features = checks.integer(steps, "steps", minimum=1), checks.integer(features, "features", minimum=1)
    units, layers = checks.integer(units, "units", minimum=1), checks.integer(layers, "layers", minimum=1)
    inputs = keras.Input((steps, features), dtype=dtype)
    x = inputs
    for index in range(layers):
        last = index == layers - 1
        cell = getattr(keras.layers, kind)(units, return_sequences=True, return_state=last, dtype=dtype)
        x = keras.layers.Bidirectional(cell, dtype=dtype)(x)
    return keras.Model(inputs, x)
