"""Back ends: turn an integer SNN into a project for a board (HLS C++ now, Verilog in ``rtl``).

A back end produces a *plan* (:mod:`fpgasnn.backends.plan`): a dict {relative path: content} that is
a value before it is a directory; the CLI merges the plans of all back ends and writes them once.
"""
