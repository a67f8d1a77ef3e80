"""Layer names -> valid, unique C++ identifiers (deterministic)."""

from __future__ import annotations

import re

CPP_KEYWORDS = frozenset((
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break",
    "case", "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept",
    "const", "consteval", "constexpr", "constinit", "const_cast", "continue", "co_await",
    "co_return", "co_yield", "decltype", "default", "delete", "do", "double", "dynamic_cast",
    "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if",
    "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr",
    "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
    "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast",
    "struct", "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef",
    "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t",
    "while", "xor", "xor_eq",
))


def sanitize(name: str) -> str:
    """A valid C++ identifier close to ``name``: other characters become ``_``, runs of ``_`` collapse
    (no reserved ``__``), no leading ``_`` or digit, keywords get a ``_l`` suffix."""
    ident = re.sub(r"[^A-Za-z0-9_]", "_", name)
    ident = re.sub(r"_+", "_", ident).strip("_")
    if not ident:
        ident = "layer"
    if ident[0].isdigit():
        ident = "l" + ident
    if ident in CPP_KEYWORDS:
        ident += "_l"
    return ident


def unique_identifiers(names: list[str], reserved: set[str] | frozenset[str] = frozenset()) -> dict[str, str]:
    """Map every name to a sanitized identifier, unique among them and not in ``reserved``
    (clashes get ``_2``, ``_3``, ... in the order the names come)."""
    out: dict[str, str] = {}
    taken = set(reserved)
    for name in names:
        base = sanitize(name)
        ident, k = base, 2
        while ident in taken:
            ident = f"{base}_{k}"
            k += 1
        taken.add(ident)
        out[name] = ident
    return out


__all__ = ["CPP_KEYWORDS", "sanitize", "unique_identifiers"]
