"""The HLS C++ back end: hand-written kernels (hls_templates/) filled from a typed context, a build
plan per project, and a g++ C simulation checked bit-exactly against the golden model."""

from fpgasnn.backends.hls.context import HlsContext, build_context, resolve_lanes
from fpgasnn.backends.hls.csim import CsimResult, Mismatch, run_csim
from fpgasnn.backends.hls.emit import hls_files, hls_plan
from fpgasnn.backends.hls.project import project_plan, read_project

__all__ = ["CsimResult", "HlsContext", "Mismatch", "build_context", "hls_files", "hls_plan", "project_plan",
           "read_project", "resolve_lanes", "run_csim"]
