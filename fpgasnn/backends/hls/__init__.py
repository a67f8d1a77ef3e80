"""The HLS C++ back end: hand-written kernels (hls_templates/) filled from a typed context, a build
plan per project, and a g++ C simulation checked bit-exactly against the golden model.

Modules: ``context`` (lowered network + board -> the typed template context), ``templates`` (the one
Jinja2 environment), ``emit`` (the HLS files as a plan), ``project`` (project.json + network copy),
``stimulus`` (test vectors), ``csim`` (compile, run, compare).

Usage::

    from fpgasnn.backends.hls import project_plan, run_csim
    from fpgasnn.backends.plan import write_plan
    write_plan(project_plan(lower(net, HwConfig.make(lanes=4)), load_board("pynq-z2")), "prj/")
    res = run_csim("prj/", images, trace=True)   # or run_csim(net, images) for a temporary project
    assert res.ok, res.first_mismatch
"""

from fpgasnn.backends.hls.context import HlsContext, build_context
from fpgasnn.backends.hls.csim import CsimResult, Mismatch, run_csim
from fpgasnn.backends.hls.emit import hls_files, hls_plan
from fpgasnn.backends.hls.project import project_plan, read_project

__all__ = [
    "CsimResult",
    "HlsContext",
    "Mismatch",
    "build_context",
    "hls_files",
    "hls_plan",
    "project_plan",
    "read_project",
    "run_csim",
]
