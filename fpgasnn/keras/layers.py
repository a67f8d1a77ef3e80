"""``ClipFloorShift``: the clip-floor-shift activation for quantization-aware training (QCFS).

Forward (inference, and training with ``noise_p == 0``), with L = ``levels``, lam = the layer's trainable
``threshold`` and ``shift`` (0.5: QCFS; 0.0: CASC's floor quantizer)::

    h(x) = lam * clip(floor(x * L / lam + shift), 0, L) / L

Gradient: straight-through for the floor (QCFS ``GradFloor``), so d h / d x = 1 on (0, lam) and 0 outside;
lam receives the gradient of ``lam * clip(x / lam ...)`` as in the QCFS reference code.

Noisy quantization (two-stage / dual-phase paper, Stage I): with ``noise_p = p > 0``, during training each
element is quantized with probability 1 - p and passed through as the clipped ReLU ``clip(x, 0, lam)``
otherwise; inference always quantizes. The front end maps the layer to ``FAct(levels, lam, shift)``.

Activation sparsity (issue 12: fewer synaptic events at the source): with ``sparsity = s > 0`` the
layer adds ``s * K / 1000`` to the training loss, K = the layer's quantization levels summed over its
outputs (``h * L / lam``), averaged over the batch: a neuron at level k spikes about k times in T = L
steps, so K is the layer's spikes per image and every spike is an event of the next layer.
"""

from __future__ import annotations

from fpgasnn.keras.tf_env import tf_keras

tfk = tf_keras()
import tensorflow as tf  # noqa: E402 (after tf_keras() set TF_USE_LEGACY_KERAS)


@tfk.utils.register_keras_serializable(package="fpgasnn")
class ClipFloorShift(tfk.layers.Layer):
    """Clip-floor-shift quantized activation with L levels and a trainable per-layer threshold."""

    def __init__(
        self,
        levels: int = 4,
        threshold: float = 2.0,
        shift: float = 0.5,
        noise_p: float = 0.0,
        trainable_threshold: bool = True,
        sparsity: float = 0.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if int(levels) < 1:
            raise ValueError(f"ClipFloorShift {self.name!r}: levels must be >= 1, got {levels}")
        if not threshold > 0:
            raise ValueError(
                f"ClipFloorShift {self.name!r}: threshold must be > 0, got {threshold}"
            )
        if not 0.0 <= noise_p < 1.0:
            raise ValueError(
                f"ClipFloorShift {self.name!r}: noise_p must be in [0, 1), got {noise_p}"
            )
        if not sparsity >= 0.0:
            raise ValueError(f"ClipFloorShift {self.name!r}: sparsity must be >= 0, got {sparsity}")
        self.sparsity = float(sparsity)
        self.levels = int(levels)
        self.initial_threshold = float(threshold)
        self.shift = float(shift)
        self.noise_p = float(noise_p)
        self.trainable_threshold = bool(trainable_threshold)
        # Set False (eagerly) to evaluate the float ANN: clip(x, 0, lam) instead of the quantizer.
        self.quantize = True

    def build(self, input_shape) -> None:
        self.threshold = self.add_weight(
            name="threshold",
            shape=(),
            initializer=tfk.initializers.Constant(self.initial_threshold),
            trainable=self.trainable_threshold,
        )
        super().build(input_shape)

    def quantized(self, x):
        lam = self.threshold
        levels = float(self.levels)
        y = x / lam * levels + self.shift
        y = y + tf.stop_gradient(tf.floor(y) - y)  # floor with a straight-through gradient
        return tf.clip_by_value(y / levels, 0.0, 1.0) * lam

    def clipped(self, x):
        return tf.minimum(tf.nn.relu(x), self.threshold)

    def call(self, inputs, training=None):
        if not self.quantize:
            return self.clipped(inputs)
        q = self.quantized(inputs)
        if self.sparsity > 0.0 and training:
            spikes = tf.reduce_sum(q / self.threshold * float(self.levels))
            batch = tf.cast(tf.shape(inputs)[0], spikes.dtype)
            self.add_loss(self.sparsity * spikes / batch / 1000.0)
        if self.noise_p <= 0.0 or not training:
            return q
        keep_float = tf.random.uniform(tf.shape(inputs)) < self.noise_p
        return tf.where(keep_float, self.clipped(inputs), q)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            levels=self.levels,
            threshold=self.initial_threshold,
            shift=self.shift,
            noise_p=self.noise_p,
            trainable_threshold=self.trainable_threshold,
            sparsity=self.sparsity,
        )
        return cfg

    def lam(self) -> float:
        """The current threshold lambda as a Python float."""
        return float(self.threshold.numpy())
