"""Open-source place and route of the Verilog core on Lattice ECP5 (Yosys, nextpnr-ecp5, ecppack):
real post-route utilization, fmax with the critical path, and a bitstream.

- :mod:`fpgasnn.pnr.flow`: :func:`place_and_route` of a core's build plan on an ECP5 board;
- :mod:`fpgasnn.pnr.timing`: reading nextpnr's ``--report`` JSON;
- :mod:`fpgasnn.pnr.project`: the same for a project folder (``fpgasnn pnr PROJECT``).
"""
