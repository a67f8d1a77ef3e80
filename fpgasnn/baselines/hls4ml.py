"""The same network as an hls4ml ANN: convert a tf_keras/QKeras model, compile its C simulation (g++ with the
ap_types headers hls4ml ships), predict, and count the ANN's multiply-accumulates.

hls4ml settings: Vivado back end, ``io_parallel``, ``Latency`` strategy, reuse factor 1 (fully parallel),
per-layer precisions taken from the QKeras quantizers (``granularity='name'``), the input as ``input_precision``,
average pools' outputs in ``default_precision`` (hls4ml's 'auto' would round them to their input's type).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fpgasnn.baselines.tf_setup import hls4ml as _import_hls4ml
from fpgasnn.baselines.tf_setup import keras2_as_keras
from fpgasnn.errors import FrontendError


@dataclass
class HlsBaseline:
    model: object
    """The compiled hls4ml model (``predict`` runs the C simulation)."""
    output_dir: Path
    config: dict

    def predict(self, x: np.ndarray, batch: int = 1000) -> np.ndarray:
        """Logits of the C simulation for float inputs ``x`` (N, H, W, C) as the Keras model takes them."""
        outs = []
        for i in range(0, len(x), batch):
            xb = np.ascontiguousarray(x[i : i + batch], dtype=np.float64)
            outs.append(np.asarray(self.model.predict(xb)).reshape(len(xb), -1))
        return np.concatenate(outs) if outs else np.zeros((0, 0))


def convert(
    keras_model,
    output_dir: str | Path,
    *,
    input_precision: str = "ufixed<8,0>",
    default_precision: str = "fixed<24,12>",
    reuse_factor: int = 1,
    strategy: str = "Latency",
) -> HlsBaseline:
    """Convert and compile ``keras_model`` with hls4ml; raise FrontendError naming hls4ml's complaint."""
    hls4ml = _import_hls4ml()
    with keras2_as_keras():
        return _convert(
            hls4ml,
            keras_model,
            Path(output_dir),
            input_precision,
            default_precision,
            reuse_factor,
            strategy,
        )


def _convert(
    hls4ml,
    keras_model,
    out: Path,
    input_precision: str,
    default_precision: str,
    reuse_factor: int,
    strategy: str,
) -> HlsBaseline:
    try:
        config = hls4ml.utils.config_from_keras_model(
            keras_model,
            granularity="name",
            default_precision=default_precision,
            default_reuse_factor=reuse_factor,
            backend="Vivado",
        )
    except Exception as e:  # hls4ml raises bare Exception for unsupported layers
        raise FrontendError(f"hls4ml cannot read model {keras_model.name!r}: {e}") from e
    config["Model"]["Strategy"] = strategy
    first = keras_model.layers[0].name
    for layer in keras_model.layers:
        if "Pooling" in type(layer).__name__:
            # hls4ml's 'auto' gives an average pool its input's type, dropping the 1/k**2 bits.
            config["LayerName"][layer.name]["Precision"]["result"] = default_precision
    config["LayerName"].setdefault(first, {})["Precision"] = {"result": input_precision}
    hmodel = hls4ml.converters.convert_from_keras_model(
        keras_model,
        hls_config=config,
        output_dir=str(out),
        backend="Vivado",
        io_type="io_parallel",
        part="xc7z020clg400-1",
    )
    hmodel.compile()
    return HlsBaseline(hmodel, out, config)


def ann_macs(keras_model) -> dict[str, int]:
    """Multiply-accumulates per image of every Conv2D/Dense layer (every tap of every output, once)."""
    macs: dict[str, int] = {}
    for layer in keras_model.layers:
        kind = type(layer).__name__
        if kind in ("Conv2D", "QConv2D"):
            kh, kw = layer.kernel_size
            cin = int(layer.input_shape[-1])
            _, ho, wo, cout = layer.output_shape
            macs[layer.name] = int(ho * wo * cout * kh * kw * cin)
        elif kind in ("Dense", "QDense"):
            macs[layer.name] = int(layer.input_shape[-1]) * int(layer.units)
    return macs
