// fpgasnn: common definitions of the spiking HLS kernels (hand-written; see fpgasnn_layers.h).
//
// Every type ends in _t and lives in namespace fpgasnn. HLS pragmas are written as FPGASNN_HLS(...):
// they become real pragmas under Vitis/Vivado HLS (__SYNTHESIS__ defined) and vanish under g++, so the
// C simulation compiles warning-free with -Wall -Wextra.
#ifndef FPGASNN_DEFINES_H_
#define FPGASNN_DEFINES_H_

#include "ap_int.h"
#include "hls_stream.h"

#ifdef __SYNTHESIS__
#define FPGASNN_PRAGMA_(x) _Pragma(#x)
#define FPGASNN_HLS(x) FPGASNN_PRAGMA_(x)
// The unroll factor of a kernel's channel loop, as a constant the pragmas can name.
#define FPGASNN_LANES(CFG) const unsigned lanes = CFG::lanes;
// The unroll factors of a gathering kernel's tap loops: the whole window with every tap in parallel.
#define FPGASNN_TAPS(CFG)                                              \
    const unsigned tap_rows = CFG::taps > 1 ? CFG::kh : 1;             \
    const unsigned tap_cols = CFG::taps > 1 ? CFG::kw : 1;
// A loop label (names the loop in synthesis reports; g++ would warn about an unused label).
#define FPGASNN_LOOP(name) name:
#else
#define FPGASNN_LOOP(name)
#define FPGASNN_HLS(x)
#define FPGASNN_LANES(CFG)
#define FPGASNN_TAPS(CFG)
#endif

#if defined(__has_include)
#if __has_include(<ap_axi_sdata.h>)
#include <ap_axi_sdata.h>
#define FPGASNN_HAVE_AXI_SDATA 1
#endif
#endif

// Arithmetic types: synaptic-current accumulators, the pooled image and the membrane/counter arithmetic
// (cur_t, x_t, mem_calc_t, cnt_calc_t) are ap_int<B> in synthesis. Under g++ they are by default the
// smallest native integer of at least B bits -- the same values, because range analysis proves that no
// value leaves B bits, and ap_int arithmetic is several times slower in C simulation.
// -DFPGASNN_CSIM_AP_TYPES keeps ap_int<B> for them too (the strict build; both builds are tested).
// The state itself -- membranes, counters, spikes -- is stored in ap_int/ap_uint in every build.
#if defined(__SYNTHESIS__) || defined(FPGASNN_CSIM_AP_TYPES)
#define FPGASNN_ACC_T(B, NATIVE) ap_int<B>
#else
#define FPGASNN_ACC_T(B, NATIVE) NATIVE
#endif

namespace fpgasnn {

// One AXI-Stream beat of W data bits with TLAST. Under Vitis HLS this is the vendor's ap_axiu (TKEEP,
// TSTRB included); for g++ C simulation without the vendor header a plain struct with the same fields.
#ifdef FPGASNN_HAVE_AXI_SDATA
template <int W>
using axis_beat_t = ap_axiu<W, 0, 0, 0>;
#else
template <int W>
struct axis_sim_beat_t {
    ap_uint<W> data;
    ap_uint<(W + 7) / 8> keep;
    ap_uint<(W + 7) / 8> strb;
    ap_uint<1> last;
};
template <int W>
using axis_beat_t = axis_sim_beat_t<W>;
#endif

// One entry of a spike queue between two layers: a position of the producing layer and a chunk of
// `L` output channels with at least one nonzero spike (bit l of pos / neg: channel chunk * L + l spiked
// +1 / -1), or the end-of-step marker (end set). PB, CB: widths of the position and chunk indices.
template <int PB, int CB, int L>
struct spike_event_t {
    ap_uint<PB> pixel;
    ap_uint<CB> chunk;
    ap_uint<L> pos;
    ap_uint<L> neg;
    bool end;
};

// The closed set of neuron models (fpgasnn.ir.nodes.NeuronKind).
enum neuron_kind_t { NEURON_IF = 0, NEURON_SIGNED_IF = 1, NEURON_CONSISTENT_IF = 2 };

#ifdef FPGASNN_TRACE
// Provided by the test bench of a trace build: one call per neuron layer and time step, with the
// layer's spikes in the kernel's internal order [pixel][channel].
void trace_spikes(unsigned layer, unsigned step, const signed char *spikes, unsigned count);
#endif

}  // namespace fpgasnn

#endif  // FPGASNN_DEFINES_H_
