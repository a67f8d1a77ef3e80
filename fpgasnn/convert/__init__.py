"""From a quantized ANN (FloatNet) to an integer SNN (fpgasnn.ir.Network).

``convert(floatnet, T=4, method="best", calib=images)`` runs the pass pipeline of
:mod:`fpgasnn.convert.pipeline`; methods live in :mod:`fpgasnn.calibrate`.
"""

from __future__ import annotations


def convert(*args, **kwargs):
    from fpgasnn.convert.pipeline import convert as _convert

    return _convert(*args, **kwargs)


convert.__doc__ = "See :func:`fpgasnn.convert.pipeline.convert`."
