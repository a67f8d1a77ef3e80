"""Baselines to compare fpgasnn's SNN cores against: the same network as an hls4ml ANN (C simulation)
and as a fully parallel ANN in Verilog (da4ml adder graphs) synthesized with the same Yosys flow.

Every module imports TensorFlow, hls4ml and da4ml lazily, inside functions.
"""
