"""The one Jinja2 environment of the HLS back end (StrictUndefined) and access to hls_templates/."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2

TEMPLATE_PACKAGE = "fpgasnn.hls_templates"
KERNEL_HEADERS = ("fpgasnn_defines.h", "fpgasnn_layers.h")
"""Hand-written kernels, copied verbatim into every project's firmware/ folder."""


def read_template_file(name: str) -> str:
    return resources.files(TEMPLATE_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def _comment_text(value: object) -> str:
    """A name quoted for a // comment: no line breaks, no trailing backslash, no trigraph tricks."""
    text = str(value).replace("\\", "/").replace("\n", " ").replace("\r", " ").replace("?", "_")
    return "'" + text + "'"


def native_int(bits: int) -> str:
    """The smallest native signed integer type with at least ``bits`` bits."""
    for n in (8, 16, 32, 64):
        if bits <= n:
            return f"int{n}_t"
    raise ValueError(f"no native integer type has {bits} bits")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(read_template_file),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["cstr"] = _comment_text
    env.filters["native"] = native_int
    return env


def render(name: str, **context: object) -> str:
    return environment().get_template(name).render(**context)


__all__ = ["KERNEL_HEADERS", "TEMPLATE_PACKAGE", "environment", "read_template_file", "render"]
