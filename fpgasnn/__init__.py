"""fpgasnn: quantized ANN -> ultra-low-latency integer SNN -> FPGA IP core (HLS C++ and Verilog)."""

__version__ = "0.1.0"
