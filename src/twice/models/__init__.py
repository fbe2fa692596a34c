"""The book's models, each built twice: a Keras twin and a PyTorch twin, side by side in one module.

A notebook builds its own framework's model from here and, in its parity section, the other framework's
twin, so each architecture is written once per framework. Keras and PyTorch are imported inside the
functions, when called.

* :mod:`.cnn`: chapter 2's convolutional network (:func:`keras_survey_cnn`, :func:`torch_survey_cnn`), and its
  initial weights for a seed, the same for both (:func:`survey_cnn_initial_weights`, :func:`survey_cnn_torch_state`).
* :mod:`.rnn`: chapter 3's recurrent networks (:func:`keras_sequence_classifier` and
  :func:`torch_sequence_classifier`, :func:`keras_adding_model` and :func:`torch_adding_model`, :func:`keras_bidirectional_stack`).
* :mod:`.embedding`: chapter 4's skip-gram model (:func:`keras_skipgram`, :func:`torch_skipgram`) and
  bag-of-words classifier (:func:`keras_bag_classifier`, :func:`torch_bag_classifier`).
* :mod:`.transformer`: chapter 5's encoder block (:func:`keras_encoder_block`, the twin of
  :func:`torch_encoder_block`, ``nn.TransformerEncoderLayer``) and per-position classifier
  (:func:`keras_position_classifier`, :func:`torch_position_classifier`), with their attention weights
  (:func:`keras_attention_weights`, :func:`torch_attention_weights`).
"""

from .cnn import keras_survey_cnn, survey_cnn_initial_weights, survey_cnn_torch_state, torch_survey_cnn
from .embedding import keras_bag_classifier, keras_skipgram, torch_bag_classifier, torch_skipgram
from .rnn import (
    keras_adding_model,
    keras_bidirectional_stack,
    keras_sequence_classifier,
    torch_adding_model,
    torch_sequence_classifier,
)
from .transformer import (
    keras_attention_weights,
    keras_encoder_block,
    keras_position_classifier,
    torch_attention_weights,
    torch_encoder_block,
    torch_position_classifier,
)

__all__ = [
    "keras_adding_model",
    "keras_attention_weights",
    "keras_bag_classifier",
    "keras_bidirectional_stack",
    "keras_encoder_block",
    "keras_position_classifier",
    "keras_sequence_classifier",
    "keras_skipgram",
    "keras_survey_cnn",
    "survey_cnn_initial_weights",
    "survey_cnn_torch_state",
    "torch_adding_model",
    "torch_attention_weights",
    "torch_bag_classifier",
    "torch_encoder_block",
    "torch_position_classifier",
    "torch_sequence_classifier",
    "torch_skipgram",
    "torch_survey_cnn",
]
