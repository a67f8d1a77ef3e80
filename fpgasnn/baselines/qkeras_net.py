"""An hls4ml-compatible QKeras CNN with the reference MNIST architecture, trained and cached.

conv16 3x3 same -> act -> avgpool2 -> conv32 3x3 same -> act -> avgpool2 -> flatten -> dense64 -> act
-> dense10. Weights and biases ``quantized_bits(weight_bits, 0, alpha=1)`` (power-of-two scale, so hls4ml
and the Verilog ANN compute them exactly); activations ``quantized_relu(act_bits, act_integer)``, which
QKeras rounds to nearest and hls4ml maps to ``ufixed<act_bits, act_integer, AP_RND_CONV, AP_SAT>``.
The input is ``pixels / 256`` (exact in ``ufixed<8,0>``). Default activations ``quantized_relu(2, 0)``:
L = 3 levels, the nearest to the project's L = 4 that hls4ml computes exactly (it saturates at
``2**i - 2**-f``, so only 2**b - 1 levels are exact).

Used when the project's own reference model cannot be read by hls4ml (its custom activation layer).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from fpgasnn.baselines.tf_setup import tf_keras

INPUT_SCALE = 1.0 / 256.0


@dataclass(frozen=True)
class QNetSpec:
    weight_bits: int = 8
    act_bits: int = 2
    act_integer: int = 0
    conv: tuple[int, ...] = (16, 32)
    hidden: int = 64
    classes: int = 10
    epochs: int = 2
    train_images: int = 60000
    seed: int = 0

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


def build(spec: QNetSpec, input_shape: tuple[int, int, int] = (28, 28, 1)):
    """The (untrained) QKeras model for ``spec``."""
    tfk = tf_keras()
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    L = tfk.layers

    def wq():
        return quantized_bits(spec.weight_bits, 0, alpha=1)

    def act(name: str):
        return QActivation(quantized_relu(spec.act_bits, spec.act_integer), name=name)

    x = inp = L.Input(shape=input_shape, name="image")
    for i, ch in enumerate(spec.conv, start=1):
        x = QConv2D(
            ch, 3, padding="same", kernel_quantizer=wq(), bias_quantizer=wq(), name=f"conv{i}"
        )(x)
        x = act(f"act{i}")(x)
        x = L.AveragePooling2D(2, name=f"pool{i}")(x)
    x = L.Flatten(name="flatten")(x)
    x = QDense(spec.hidden, kernel_quantizer=wq(), bias_quantizer=wq(), name="fc1")(x)
    x = act(f"act{len(spec.conv) + 1}")(x)
    x = QDense(spec.classes, kernel_quantizer=wq(), bias_quantizer=wq(), name="fc2")(x)
    return tfk.Model(inp, x, name="qkeras_cnn")


def to_input(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 1, H, W) or (N, H, W) -> float32 (N, H, W, 1) in [0, 1)."""
    x = np.asarray(images)
    if x.ndim == 4:
        x = x[:, 0]
    return (x.astype(np.float32) * np.float32(INPUT_SCALE))[..., None]


def trained(
    spec: QNetSpec,
    train_x: np.ndarray,
    train_y: np.ndarray,
    cache_dir: str | Path,
    verbose: int = 0,
) -> tuple[object, Path]:
    """Load the cached trained model for ``spec`` or train it (Adam, batch 128) and cache it as .h5."""
    tfk = tf_keras()
    from qkeras.utils import _add_supported_quantized_objects

    path = Path(cache_dir) / f"qkeras_cnn_{spec.key()}.h5"
    if path.is_file():
        objects: dict = {}
        _add_supported_quantized_objects(objects)
        return tfk.models.load_model(path, custom_objects=objects, compile=False), path
    import tensorflow as tf

    tf.keras.utils.set_random_seed(spec.seed)
    model = build(spec, input_shape=(*train_x.shape[-2:], 1))
    model.compile(
        optimizer=tfk.optimizers.Adam(2e-3),
        loss=tfk.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    n = min(spec.train_images, len(train_x))
    model.fit(
        to_input(train_x[:n]),
        np.asarray(train_y[:n]),
        batch_size=128,
        epochs=spec.epochs,
        verbose=verbose,
        shuffle=True,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return model, path


def to_floatnet(model, input_bits: int = 8):
    """The model as a :class:`fpgasnn.convert.floatnet.FloatNet` (channel-first, Flatten in C, H, W order),
    for fpgasnn's converter: QKeras-quantized weights, ``quantized_relu(b, i)`` as the clip-floor-shift
    quantizer with ``L = 2**b - 1`` levels, ``lam = L * 2**(i - b)`` and shift 0.5 (round half up)."""
    from fpgasnn.baselines.da4ml_ann import _quantized
    from fpgasnn.convert.floatnet import FAct, FConv, FDense, FFlatten, FInput, FloatNet, FPool
    from fpgasnn.errors import UnsupportedLayerError
    from fpgasnn.ir.nodes import same_padding

    layers: list = []
    shape = None  # current (C, H, W) or (F,)
    hwc = None
    bad = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            h, w, c = (
                layer.output_shape[0][1:]
                if isinstance(layer.output_shape, list)
                else layer.output_shape[1:]
            )
            shape = (c, h, w)
            layers.append(FInput(layer.name, shape, scale=INPUT_SCALE, bits=input_bits))
        elif kind == "QConv2D":
            wk = _quantized(layer, "kernel")
            kh, kw = layer.kernel_size
            pad = (0, 0, 0, 0)
            if layer.padding == "same":
                pad = (
                    *same_padding(shape[1], kh, layer.strides[0]),
                    *same_padding(shape[2], kw, layer.strides[1]),
                )
            layers.append(
                FConv(
                    layer.name,
                    wk.transpose(3, 2, 0, 1),
                    _quantized(layer, "bias"),
                    int(layer.strides[0]),
                    pad,
                )
            )
            _, h, w, c = layer.output_shape
            shape = (c, h, w)
        elif kind == "AveragePooling2D":
            k = int(layer.pool_size[0])
            layers.append(FPool(layer.name, k))
            shape = (shape[0], shape[1] // k, shape[2] // k)
        elif kind == "Flatten":
            layers.append(FFlatten(layer.name))
            hwc = (shape[1], shape[2], shape[0]) if len(shape) == 3 else None
            shape = (int(np.prod(shape)),)
        elif kind == "QDense":
            wk = _quantized(layer, "kernel")
            if hwc is not None:
                wk = wk.reshape(*hwc, -1).transpose(2, 0, 1, 3).reshape(wk.shape[0], -1)
                hwc = None
            layers.append(FDense(layer.name, wk.T, _quantized(layer, "bias")))
            shape = (wk.shape[1],)
        elif kind == "QActivation" and type(layer.quantizer).__name__ == "quantized_relu":
            b, i = int(layer.quantizer.bits), int(layer.quantizer.integer)
            levels = 2**b - 1
            layers.append(FAct(layer.name, levels, levels * 2.0 ** (i - b), 0.5))
        else:
            bad.append(f"{layer.name} ({kind})")
    if bad:
        raise UnsupportedLayerError(
            "to_floatnet supports QConv2D, QDense, AveragePooling2D, Flatten and "
            "QActivation(quantized_relu); unsupported: " + ", ".join(bad)
        )
    return FloatNet(
        tuple(layers), {"source": f"fpgasnn.baselines.qkeras_net.to_floatnet({model.name})"}
    )
