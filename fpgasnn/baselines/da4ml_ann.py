"""The same network as a fully parallel ANN in Verilog: da4ml adder graphs for the constant matrix-vector
products, synthesized with the same Yosys flow as fpgasnn's cores.

A layer here is one constant matrix-vector product in fixed point: a Dense layer (all outputs), or ONE output
position of a Conv2D (the kh*kw*cin window times the kernel, all output channels). Inputs are unsigned
fixed-point activations ``ufixed<i+f, i>``; weights and biases the QKeras-quantized values (exact powers of
two steps); a hidden layer's output is ``clip(floor(z * 2**f + 1/2) / 2**f, 0, 2**i - 2**-f)``
(ReLU, round half up, saturate: QKeras ``quantized_relu``; hls4ml rounds exact ties to even instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fpgasnn.errors import BackendError, FrontendError


@dataclass(frozen=True)
class FixedFormat:
    """Unsigned fixed point with ``integer`` integer bits and ``frac`` fraction bits."""

    integer: int
    frac: int

    @property
    def step(self) -> float:
        return 2.0**-self.frac

    @property
    def max(self) -> float:
        return 2.0**self.integer - self.step


@dataclass
class CmvmLayer:
    """One constant matrix-vector product of the network: ``y = act(x @ weight + bias)``."""

    name: str
    weight: np.ndarray
    """(inputs, outputs) float, exact multiples of the weight quantizer's step."""
    bias: np.ndarray
    in_format: FixedFormat
    out_format: FixedFormat | None
    """Activation format, or None for the logits layer (no activation, full precision)."""
    positions: int = 1
    """How many times the network applies it per image (output positions of a Conv2D)."""
    what: str = ""

    @property
    def macs(self) -> int:
        return int(self.weight.size) * self.positions

    def reference(self, x: np.ndarray) -> np.ndarray:
        """The exact arithmetic in float64 (all values are short fixed-point numbers, so exact)."""
        z = np.asarray(x, dtype=np.float64) @ self.weight + self.bias
        if self.out_format is None:
            return z
        f = self.out_format
        return np.clip(np.floor(z * 2.0**f.frac + 0.5), 0, 2 ** (f.integer + f.frac) - 1) * f.step


def _quantized(layer, attr: str) -> np.ndarray:
    values = getattr(layer, attr).numpy()
    quantizers = {"kernel": "kernel_quantizer_internal", "bias": "bias_quantizer_internal"}
    q = getattr(layer, quantizers[attr], None)
    if q is None:
        return values.astype(np.float64)
    return np.asarray(q(values)).astype(np.float64)


def _act_format(layer) -> FixedFormat:
    q = getattr(layer, "quantizer", None)
    name = type(q).__name__
    if name != "quantized_relu" or getattr(q, "negative_slope", 0) not in (0, 0.0, None):
        raise FrontendError(
            f"layer {layer.name!r}: the Verilog ANN baseline supports QActivation("
            f"quantized_relu) only, got {name}"
        )
    bits, integer = int(q.bits), int(q.integer)
    return FixedFormat(integer, bits - integer)


def layers_from_keras(
    keras_model, input_format: FixedFormat = FixedFormat(0, 8)
) -> list[CmvmLayer]:
    """The network's matrix-vector products, in order, with the fixed-point format of each input."""
    kinds = [type(layer).__name__ for layer in keras_model.layers]
    out: list[CmvmLayer] = []
    fmt = input_format
    bad = []
    for idx, layer in enumerate(keras_model.layers):
        kind = kinds[idx]
        nxt = kinds[idx + 1] if idx + 1 < len(kinds) else None
        if kind == "InputLayer" or kind == "Flatten":
            continue
        if kind == "AveragePooling2D":
            k = int(layer.pool_size[0]) * int(layer.pool_size[1])
            fmt = FixedFormat(fmt.integer, fmt.frac + int(math.log2(k)))
            continue
        if kind == "QActivation":
            fmt = _act_format(layer)
            continue
        if kind in ("QConv2D", "QDense"):
            w = _quantized(layer, "kernel")
            b = _quantized(layer, "bias") if layer.use_bias else np.zeros(w.shape[-1])
            act = _act_format(keras_model.layers[idx + 1]) if nxt == "QActivation" else None
            if kind == "QConv2D":
                kh, kw, cin, cout = w.shape
                _, ho, wo, _ = layer.output_shape
                out.append(
                    CmvmLayer(
                        layer.name,
                        w.reshape(kh * kw * cin, cout),
                        b,
                        fmt,
                        act,
                        positions=int(ho * wo),
                        what=f"one output position of {layer.name}: {kh}x{kw}x{cin} window "
                        f"-> {cout} channels (the layer applies it {ho * wo} times)",
                    )
                )
            else:
                out.append(
                    CmvmLayer(
                        layer.name,
                        w,
                        b,
                        fmt,
                        act,
                        what=f"{layer.name}: dense {w.shape[0]} -> {w.shape[1]}",
                    )
                )
            continue
        bad.append(f"{layer.name} ({kind})")
    if bad:
        raise FrontendError("the Verilog ANN baseline cannot map these layers: " + ", ".join(bad))
    return out


def csd_digits(layer: CmvmLayer) -> int:
    """Nonzero canonical-signed-digit terms of all the layer's weights: the shift-adds of a layer built
    without sharing any partial sum (the naive adder count da4ml's solver improves on)."""
    from da4ml._binary import int_arr_to_csd

    w = layer.weight
    nz = w[w != 0]
    if nz.size == 0:
        return 0
    frac = 0
    while not np.all(nz * 2.0**frac == np.round(nz * 2.0**frac)) and frac < 31:
        frac += 1
    ints = np.round(w * 2.0**frac).astype(np.int32)
    return int(np.count_nonzero(int_arr_to_csd(ints)))


def naive_cost(layer: CmvmLayer) -> float:
    """Adder bits of the no-sharing construction: one adder per CSD term, each as wide as the
    input plus the weight range plus the accumulation growth (a LUT per bit on 7-series carry chains)."""
    n_in = layer.weight.shape[0]
    w = np.abs(layer.weight[layer.weight != 0])
    if w.size == 0:
        return 0.0
    width = (
        layer.in_format.integer
        + layer.in_format.frac
        + int(np.ceil(np.log2(w.max() / w.min() + 1)))
        + int(np.ceil(np.log2(n_in)))
    )
    return float(csd_digits(layer) * width)


@dataclass
class TracedLayer:
    layer: CmvmLayer
    comb: object
    """da4ml CombLogic: the adder graph."""
    cost: float
    """da4ml's cost estimate (about one LUT per adder bit)."""
    trace_s: float
    checks: dict = field(default_factory=dict)


def trace(
    layer: CmvmLayer, solver_options: dict | None = None, outputs_per_solve: int | None = None
) -> TracedLayer:
    """Build the layer's adder graph with da4ml's CMVM solver.

    ``outputs_per_solve``: solve groups of that many output columns separately (faster for large layers;
    adders are then shared only within a group, so the cost is an upper bound of the joint solve)."""
    import time

    from da4ml.trace import FixedVariableArray, HWConfig, comb_trace

    n = layer.weight.shape[0]
    t0 = time.perf_counter()
    x = FixedVariableArray.from_kif(
        np.zeros(n, int),
        np.full(n, layer.in_format.integer),
        np.full(n, layer.in_format.frac),
        hwconf=HWConfig(1, -1, -1),
        solver_options=dict(solver_options or {}),
    )
    n_out = layer.weight.shape[1]
    group = n_out if not outputs_per_solve else int(outputs_per_solve)
    parts = [(x @ layer.weight[:, i : i + group])._vars for i in range(0, n_out, group)]
    z = FixedVariableArray(np.concatenate(parts), x.solver_options, hwconf=x.hwconf) + layer.bias
    if layer.out_format is not None:
        f = layer.out_format
        z = z.relu().quantize(0, f.integer, f.frac, overflow_mode="SAT", round_mode="RND")
    comb = comb_trace(x, z)
    return TracedLayer(layer, comb, float(comb.cost), time.perf_counter() - t0)


def check(traced: TracedLayer, x: np.ndarray) -> float:
    """Share of input vectors ``x`` (M, inputs) on which the adder graph equals the exact arithmetic."""
    got = np.asarray(traced.comb.predict(np.asarray(x, dtype=np.float64)), dtype=np.float64)
    ref = traced.layer.reference(x)
    ok = float(np.mean(np.all(got == ref, axis=1)))
    traced.checks["vectors"] = len(x)
    traced.checks["exact_pct"] = 100.0 * ok
    return ok


def write_verilog(traced: TracedLayer, folder: str | Path, module: str) -> list[str]:
    """Write the layer's Verilog with da4ml's generator; return the file names (relative to
    ``folder``/src) that a synthesis needs, top module first."""
    from da4ml.codegen import RTLModel

    folder = Path(folder)
    RTLModel(traced.comb, module, folder, latency_cutoff=-1, print_latency=False).write()
    src = folder / "src"
    top = (src / f"{module}.v").read_text()
    files = [f"{module}.v"]
    for lib in sorted((src / "static").glob("*.v")):
        if lib.stem != "lookup_table" or "lookup_table" in top:
            files.append(f"static/{lib.name}")
    if not (src / files[0]).is_file():
        raise BackendError(f"da4ml wrote no {files[0]} for layer {traced.layer.name!r}")
    return files


def keras_layer_io(
    keras_model, layer: CmvmLayer, x: np.ndarray, max_vectors: int = 20000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Real input vectors of ``layer`` and the Keras model's outputs for them (after the activation),
    from images ``x`` as the Keras model takes them; at most ``max_vectors`` (a seeded sample)."""
    from fpgasnn.baselines.tf_setup import tf_keras

    tfk = tf_keras()
    names = [k.name for k in keras_model.layers]
    idx = names.index(layer.name)
    klayer = keras_model.layers[idx]
    out_layer = keras_model.layers[idx + 1] if layer.out_format is not None else klayer
    probe = tfk.Model(keras_model.inputs, [klayer.input, out_layer.output])
    xin, yout = (
        np.asarray(a, dtype=np.float64) for a in probe.predict(x, verbose=0, batch_size=500)
    )
    if type(klayer).__name__ == "QConv2D":
        kh, kw = klayer.kernel_size
        if tuple(klayer.strides) != (1, 1) or klayer.padding not in ("same", "valid"):
            raise FrontendError(
                f"layer {layer.name!r}: only stride-1 same/valid convolutions are checked"
            )
        if klayer.padding == "same":
            ph, pw = (kh - 1) // 2, (kw - 1) // 2
            xin = np.pad(xin, ((0, 0), (ph, kh - 1 - ph), (pw, kw - 1 - pw), (0, 0)))
        win = np.lib.stride_tricks.sliding_window_view(xin, (kh, kw), axis=(1, 2))  # N,H,W,C,kh,kw
        xin = win.transpose(0, 1, 2, 4, 5, 3).reshape(-1, layer.weight.shape[0])
        yout = yout.reshape(-1, layer.weight.shape[1])
    else:
        xin, yout = xin.reshape(len(xin), -1), yout.reshape(len(yout), -1)
    if len(xin) > max_vectors:
        pick = np.sort(np.random.default_rng(seed).choice(len(xin), max_vectors, replace=False))
        xin, yout = xin[pick], yout[pick]
    return xin, yout


def check_against(traced: TracedLayer, xin: np.ndarray, expected: np.ndarray) -> dict:
    """Compare the adder graph on real inputs with the exact arithmetic and with ``expected`` (Keras)."""
    got = np.asarray(traced.comb.predict(np.ascontiguousarray(xin)), dtype=np.float64)
    ref = traced.layer.reference(xin)
    res = {
        "vectors": len(xin),
        "adder_graph_equals_exact_arithmetic_pct": 100.0
        * float(np.mean(np.all(got == ref, axis=1))),
        "adder_graph_equals_keras_pct": 100.0
        * float(np.mean(np.all(np.abs(got - expected) < 1e-9, axis=1))),
    }
    traced.checks.update(res)
    return res
