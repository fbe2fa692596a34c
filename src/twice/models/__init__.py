"""The book's models, each built twice: a Keras twin and a PyTorch twin, side by side in one module.

A notebook builds its own framework's model from here and, in its parity section, the other framework's
twin, so each architecture is written once per framework. Keras and PyTorch are imported inside the
functions, when called.

* :mod:`.cnn`: chapter 2's convolutional network (:func:`keras_survey_cnn`, :func:`torch_survey_cnn`).
"""

from .cnn import keras_survey_cnn, torch_survey_cnn

__all__ = ["keras_survey_cnn", "torch_survey_cnn"]
