"""From a quantized ANN (FloatNet) to an integer SNN (fpgasnn.ir.Network)."""
