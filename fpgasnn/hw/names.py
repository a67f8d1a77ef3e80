"""Layer names -> generated identifiers: ONE policy for the C++, the Verilog and the file names.

An identifier is ``[A-Za-z][A-Za-z0-9_]*`` with no ``__`` run, never a keyword of C++ or of
(System)Verilog, unique among the layers of a network and stable (the same names in the same order give
the same identifiers). The original layer names stay in comments and in project.json."""

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


# IEEE 1800-2017 (SystemVerilog) reserved words; Verilog-2005's are a subset.
VERILOG_KEYWORDS = frozenset("""
accept_on alias always always_comb always_ff always_latch and assert assign assume automatic before
begin bind bins binsof bit break buf bufif0 bufif1 byte case casex casez cell chandle checker class
clocking cmos config const constraint context continue cover covergroup coverpoint cross deassign
default defparam design disable dist do edge else end endcase endchecker endclass endclocking endconfig
endfunction endgenerate endgroup endinterface endmodule endpackage endprimitive endprogram endproperty
endspecify endsequence endtable endtask enum event eventually expect export extends extern final
first_match for force foreach forever fork forkjoin function generate genvar global highz0 highz1 if
iff ifnone ignore_bins illegal_bins implements implies import incdir include initial inout input inside
instance int integer interconnect interface intersect join join_any join_none large let liblist library
local localparam logic longint macromodule matches medium modport module nand negedge nettype new
nexttime nmos nor noshowcancelled not notif0 notif1 null or output package packed parameter pmos
posedge primitive priority program property protected pull0 pull1 pulldown pullup pulsestyle_ondetect
pulsestyle_onevent pure rand randc randcase randsequence rcmos real realtime ref reg reject_on release
repeat restrict return rnmos rpmos rtran rtranif0 rtranif1 s_always s_eventually s_nexttime s_until
s_until_with scalared sequence shortint shortreal showcancelled signed small soft solve specify
specparam static string strong strong0 strong1 struct super supply0 supply1 sync_accept_on
sync_reject_on table tagged task this throughout time timeprecision timeunit tran tranif0 tranif1 tri
tri0 tri1 triand trior trireg type typedef union unique unique0 unsigned until until_with untyped use
uwire var vectored virtual void wait wait_order wand weak weak0 weak1 while wildcard wire with within
wor xnor xor
""".split())
RESERVED = CPP_KEYWORDS | VERILOG_KEYWORDS


def sanitize(name: str) -> str:
    """A valid C++ and Verilog identifier close to ``name``: other characters become ``_``, runs of
    ``_`` collapse (no reserved ``__``), no leading ``_`` or digit, keywords of either language get a
    ``_l`` suffix."""
    ident = re.sub(r"[^A-Za-z0-9_]", "_", name)
    ident = re.sub(r"_+", "_", ident).strip("_")
    if not ident:
        ident = "layer"
    if ident[0].isdigit():
        ident = "l" + ident
    if ident in RESERVED:
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


__all__ = ["CPP_KEYWORDS", "RESERVED", "VERILOG_KEYWORDS", "sanitize", "unique_identifiers"]
