"""Tiny ONNX graphs built with ``onnx.helper`` (no PyTorch), as ``torch.onnx`` exports them: names like
``/conv1/Conv``, the QCFS activation as Div / Clip / Mul / Add / Floor / Div / Mul, a
``x.view(x.size(0), -1)`` as Shape / Gather / Unsqueeze / Concat / Reshape."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class G:
    """A graph under construction: ``x`` is the current data tensor."""

    def __init__(self, shape: tuple[int, ...], seed: int = 0, batch="N"):
        self.rng = np.random.default_rng(seed)
        self.nodes: list = []
        self.inits: list = []
        self.shape = shape
        self.batch = batch
        self.x = "input"
        self.k = 0
        self.opsets = [helper.make_opsetid("", OPSET)]

    def const(self, value, name: str | None = None) -> str:
        self.k += 1
        name = name or f"c{self.k}"
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], name: str, domain: str = "", **attrs) -> str:
        self.k += 1
        out = f"{name or op}_out{self.k}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, domain=domain, **attrs))
        self.x = out
        return out

    def conv(self, name: str, cout: int, k: int = 3, stride: int = 1, pads=(0, 0, 0, 0), bias=True):
        cin = self.shape[0]
        w = self.const(self.rng.normal(0, 0.5, (cout, cin, k, k)).astype(np.float32))
        ins = [self.x, w]
        if bias:
            ins.append(self.const(self.rng.normal(0, 0.1, cout).astype(np.float32)))
        self.node("Conv", ins, name, kernel_shape=[k, k], strides=[stride] * 2, pads=list(pads))
        _, h, wd = self.shape
        self.shape = (
            cout,
            (h + pads[0] + pads[2] - k) // stride + 1,
            (wd + pads[1] + pads[3] - k) // stride + 1,
        )

    def bn(self, name: str):
        c = self.shape[0]
        r = self.rng
        params = [
            r.uniform(0.5, 1.5, c),
            r.normal(0, 0.1, c),
            r.normal(0, 0.1, c),
            r.uniform(0.5, 1.5, c),
        ]
        self.node(
            "BatchNormalization",
            [self.x, *(self.const(p.astype(np.float32)) for p in params)],
            name,
        )

    def qcfs(self, prefix: str, L: int, lam: float, clamp_first: bool = True):
        """The papers' QCFS: floor(clamp(x / lam, 0, 1) * L + 0.5) / L * lam (or the clamp after)."""
        self.node("Div", [self.x, self.const(np.float32(lam))], f"{prefix}/Div")
        if clamp_first:
            self.clip(f"{prefix}/Clip", 0.0, 1.0)
        self.node("Mul", [self.x, self.const(np.float32(L))], f"{prefix}/Mul")
        self.node("Add", [self.x, self.const(np.float32(0.5))], f"{prefix}/Add")
        self.node("Floor", [self.x], f"{prefix}/Floor")
        self.node("Div", [self.x, self.const(np.float32(L))], f"{prefix}/Div_1")
        if not clamp_first:
            self.clip(f"{prefix}/Clip", 0.0, 1.0)
        self.node("Mul", [self.x, self.const(np.float32(lam))], f"{prefix}/Mul_1")

    def clip(self, name: str, lo: float, hi: float):
        self.node("Clip", [self.x, self.const(np.float32(lo)), self.const(np.float32(hi))], name)

    def avgpool(self, name: str, k: int = 2):
        self.node("AveragePool", [self.x], name, kernel_shape=[k, k], strides=[k, k])
        c, h, w = self.shape
        self.shape = (c, h // k, w // k)

    def view_flatten(self, name: str):
        """``x.view(x.size(0), -1)`` as the TorchScript exporter writes it."""
        shp = f"{name}/Shape_out"
        self.nodes.append(helper.make_node("Shape", [self.x], [shp], name=f"{name}/Shape"))
        g = f"{name}/Gather_out"
        self.nodes.append(
            helper.make_node(
                "Gather", [shp, self.const(np.int64(0))], [g], name=f"{name}/Gather", axis=0
            )
        )
        u = f"{name}/Unsqueeze_out"
        self.nodes.append(
            helper.make_node(
                "Unsqueeze", [g, self.const(np.array([0], np.int64))], [u], name=f"{name}/Unsqueeze"
            )
        )
        cat = f"{name}/Concat_out"
        self.nodes.append(
            helper.make_node(
                "Concat",
                [u, self.const(np.array([-1], np.int64))],
                [cat],
                name=f"{name}/Concat",
                axis=0,
            )
        )
        self.node("Reshape", [self.x, cat], f"{name}/Reshape")
        self.shape = (int(np.prod(self.shape)),)

    def flatten(self, name: str):
        self.node("Flatten", [self.x], name, axis=1)
        self.shape = (int(np.prod(self.shape)),)

    def gemm(self, name: str, out: int):
        w = self.const(self.rng.normal(0, 0.3, (out, self.shape[0])).astype(np.float32))
        b = self.const(self.rng.normal(0, 0.1, out).astype(np.float32))
        self.node("Gemm", [self.x, w, b], name, transB=1)
        self.shape = (out,)

    def matmul_add(self, name: str, out: int):
        w = self.const(self.rng.normal(0, 0.3, (self.shape[0], out)).astype(np.float32))
        self.node("MatMul", [self.x, w], f"{name}/MatMul")
        self.node(
            "Add",
            [self.x, self.const(self.rng.normal(0, 0.1, out).astype(np.float32))],
            f"{name}/Add",
        )
        self.shape = (out,)

    def model(self, in_shape: tuple[int, ...], name: str = "net") -> onnx.ModelProto:
        inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, [self.batch, *in_shape])
        out = helper.make_tensor_value_info(self.x, TensorProto.FLOAT, [self.batch, *self.shape])
        graph = helper.make_graph(self.nodes, name, [inp], [out], initializer=self.inits)
        m = helper.make_model(graph, opset_imports=self.opsets)
        m.ir_version = 8
        return m


def qcfs_cnn(L: int = 2) -> onnx.ModelProto:
    """Conv -> BN -> QCFS -> AvgPool -> Conv -> QCFS (clamp after floor) -> view -> Gemm."""
    g = G((1, 8, 8), seed=1)
    g.conv("/conv1/Conv", 4, pads=(1, 1, 1, 1))
    g.bn("/bn1/BatchNormalization")
    g.qcfs("/act1", L, 1.5)
    g.avgpool("/pool/AveragePool")
    g.conv("/conv2/Conv", 6)
    g.qcfs("/act2", L, 2.0, clamp_first=False)
    g.view_flatten("/view")
    g.gemm("/fc/Gemm", 10)
    return g.model((1, 8, 8), "qcfs_cnn")


def relu_cnn() -> onnx.ModelProto:
    """Conv (strided, padded) -> Relu -> Conv -> Relu -> GlobalAveragePool -> Flatten -> MatMul + Add."""
    g = G((1, 8, 8), seed=2)
    g.conv("/features/0/Conv", 6, stride=2, pads=(1, 1, 1, 1))
    g.node("Relu", [g.x], "/features/1/Relu")
    g.conv("/features/2/Conv", 8, bias=False)
    g.node("Relu", [g.x], "/features/3/Relu")
    g.node("GlobalAveragePool", [g.x], "/gap/GlobalAveragePool")
    g.shape = (8, 1, 1)
    g.flatten("/flatten/Flatten")
    g.node("Dropout", [g.x], "/drop/Dropout")
    g.matmul_add("/fc", 10)
    return g.model((1, 8, 8), "relu_cnn")


def brevitas_mlp() -> onnx.ModelProto:
    """A QONNX (Brevitas) MLP: identity input Quant, Quant'ed weights, Relu + unsigned 2-bit Quant."""
    g = G((64,), seed=3)
    g.opsets.append(helper.make_opsetid("qonnx.custom_op.general", 1))
    dom = "qonnx.custom_op.general"
    g.node(
        "Quant",
        [g.x, g.const(np.float32(1 / 255)), g.const(np.float32(0)), g.const(np.float32(8))],
        "/input_quant/Quant",
        domain=dom,
        signed=0,
        narrow=0,
        rounding_mode="ROUND",
    )
    for i, out in enumerate((12, 10)):
        wf = g.const(g.rng.normal(0, 0.3, (out, g.shape[0])).astype(np.float32))
        wq = f"/fc{i}/weight_quant/Quant_out"
        g.nodes.append(
            helper.make_node(
                "Quant",
                [wf, g.const(np.float32(0.05)), g.const(np.float32(0)), g.const(np.float32(4))],
                [wq],
                name=f"/fc{i}/weight_quant/Quant",
                domain=dom,
                signed=1,
                narrow=1,
                rounding_mode="ROUND",
            )
        )
        g.node(
            "Gemm",
            [g.x, wq, g.const(g.rng.normal(0, 0.1, out).astype(np.float32))],
            f"/fc{i}/Gemm",
            transB=1,
        )
        g.shape = (out,)
        if i == 0:
            g.node("Relu", [g.x], "/act/Relu")
            g.node(
                "Quant",
                [g.x, g.const(np.float32(0.25)), g.const(np.float32(0)), g.const(np.float32(2))],
                "/act/act_quant/Quant",
                domain=dom,
                signed=0,
                narrow=0,
                rounding_mode="ROUND",
            )
    return g.model((64,), "brevitas_mlp")


def three_unsupported() -> onnx.ModelProto:
    """A LeakyRelu, a Tanh and a MaxPool (without replace_maxpool) in an otherwise fine CNN."""
    g = G((1, 8, 8), seed=4)
    g.conv("/conv1/Conv", 4, pads=(1, 1, 1, 1))
    g.node("LeakyRelu", [g.x], "/act1/LeakyRelu", alpha=0.1)
    g.node("MaxPool", [g.x], "/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2])
    g.shape = (4, 4, 4)
    g.conv("/conv2/Conv", 4)
    g.node("Tanh", [g.x], "/act2/Tanh")
    g.flatten("/flatten/Flatten")
    g.gemm("/fc/Gemm", 10)
    return g.model((1, 8, 8), "bad")


def odd_names() -> onnx.ModelProto:
    """Node names that are C++ / Verilog keywords, start with a digit, hold '-' or '.', collide after
    sanitising, or are empty; a strided convolution without bias; QCFS with L = 4."""
    g = G((1, 8, 8), seed=5)
    g.conv("module", 4, stride=2, pads=(1, 1, 1, 1), bias=False)
    g.qcfs("1relu", 4, 1.0)
    g.conv("conv-a.b", 4, pads=(1, 1, 1, 1))
    g.qcfs("conv_a_b", 4, 1.0)
    g.flatten("wire")
    g.gemm("", 10)
    return g.model((1, 8, 8), "names")
