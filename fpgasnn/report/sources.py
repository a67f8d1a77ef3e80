"""Where the report's latency and resource figures come from: the RTL back end's cycle model and Yosys.

Kept apart so collect.py stays independent of a back end; returns None while a source is unavailable.
"""

from __future__ import annotations


def latency_section():
    return None


def resources_section_fn():
    return None
