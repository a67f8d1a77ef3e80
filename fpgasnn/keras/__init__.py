"""Keras (tf_keras, Keras 2 API) side of fpgasnn: the quantization-aware activation layer, reference CNNs
and their training, and the front end that reads a Keras/QKeras model into a :class:`FloatNet`.

Importing this package does NOT import TensorFlow; its submodules ``layers``, ``models``, ``train`` do
(through :func:`fpgasnn.keras.tf_env.tf_keras`). ``frontend`` imports it only when a function is called.
"""

from __future__ import annotations
