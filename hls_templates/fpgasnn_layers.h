// fpgasnn: hand-written, templated HLS kernels of an integer spiking network.
//
// The semantics are those of the NumPy golden model (fpgasnn/golden/simulate.py), bit for bit:
//   I = W s_in + b          (b only while biases are on: presim and wake steps, not sleep steps)
//   v = v + I; decide s; v = v - s * theta; N = N + s
// Each kernel is parameterised by a config struct (generated into parameters.h) that holds the sizes,
// the integer types (ap_int widths from range analysis) and the parallelism `lanes`. Weights are
// passed as ROM arrays. No kernel keeps state between calls: the caller owns every state array.
//
// Internal layout: a (C, H, W) tensor is stored as [H * W][C] ("pixel, channel"), so the innermost
// loop runs over output channels and `lanes` of them are updated in parallel (cyclic partition on the
// channel dimension). A Dense layer's output (O,) is [1][O].
// A layer's synaptic current is banked by output position like the Verilog membranes:
// cur[bank_rows][bank_cols][bank_words][C], position (oy, ox) in bank [oy % bank_rows][ox % bank_cols]
// at word (oy / bank_rows) * bank_w + ox / bank_cols. With every tap in parallel (taps > 1), the
// bank grid is (ceil(kh / stride), ceil(kw / stride)), so the taps of one input event reach distinct
// banks and update in the same cycle; with one tap per cycle (and for Dense layers) it is 1 x 1.
#ifndef FPGASNN_LAYERS_H_
#define FPGASNN_LAYERS_H_

#include "fpgasnn_defines.h"

namespace fpgasnn {

// ---------------------------------------------------------------------------------------------------
// Input: C*H*W quantized pixels, in C, H, W order, one per AXI-Stream beat.
template <class CFG>
void read_image(hls::stream<typename CFG::beat_t> &in, typename CFG::pixel_t img[CFG::size]) {
    FPGASNN_LOOP(read_pixels)
    for (unsigned i = 0; i < CFG::size; i++) {
        FPGASNN_HLS(HLS PIPELINE II=1)
        typename CFG::beat_t beat = in.read();
        img[i] = beat.data.range(CFG::bits - 1, 0);
    }
}

// First stage, transforms: AvgPool2D folded to a window SUM of `pool` x `pool` pixels (pool = 1: copy).
// img is (C, H, W) in C, H, W order; out is (C, H/pool, W/pool) in the same order.
template <class CFG>
void pool_image(const typename CFG::pixel_t img[CFG::in_c * CFG::in_h * CFG::in_w],
                typename CFG::x_t out[CFG::in_c][CFG::ph][CFG::pw]) {
    FPGASNN_LOOP(pool_image_c)
    for (unsigned c = 0; c < CFG::in_c; c++) {
        for (unsigned y = 0; y < CFG::ph; y++) {
            for (unsigned x = 0; x < CFG::pw; x++) {
                typename CFG::x_t sum = 0;
                for (unsigned i = 0; i < CFG::pool; i++) {
                    for (unsigned j = 0; j < CFG::pool; j++) {
                        sum += img[(c * CFG::in_h + y * CFG::pool + i) * CFG::in_w + x * CFG::pool + j];
                    }
                }
                out[c][y][x] = sum;
            }
        }
    }
}

// First stage, synapse: the image current W x + b, computed ONCE per image (multiplications: this is the
// only layer with DSPs). x is (C, PH, PW); weights [KH*KW][C*O], so the `lanes` channels computed
// together read consecutive, cyclically partitioned ROM words of one tap's row. With every tap in
// parallel (taps > 1) the kh x kw window is unrolled: x is partitioned cyclically by kh rows and kw
// columns (the window's pixels lie in distinct banks) and the ROM by tap. A Dense first layer is the
// same kernel with KH = PH, KW = PW, no padding and one tap at a time.
// acc += v (or -= v) with v a stored weight (or weight x pixel) put back at the layer's units: the ROM
// holds weight >> w_shift for layers refined by resolution bits. The shift happens in cur_t's width
// (range analysis sized it for the shifted-back weights); layers with w_shift 0 add v directly.
template <class CFG, class A, class T>
inline void add_scaled(A &acc, const T &v, bool positive = true) {
    if (CFG::w_shift == 0) {
        if (positive) acc += v; else acc -= v;
    } else {
        typename CFG::cur_t s = v;
        s <<= CFG::w_shift;
        if (positive) acc += s; else acc -= s;
    }
}

template <class CFG>
void conv_gather(const typename CFG::x_t x[CFG::in_c][CFG::ph][CFG::pw],
                 typename CFG::cur_t cur[CFG::bank_rows][CFG::bank_cols][CFG::bank_words][CFG::out_c],
                 const typename CFG::weight_t w[CFG::kh * CFG::kw][CFG::in_c * CFG::out_c],
                 const typename CFG::bias_t b[CFG::out_c]) {
    FPGASNN_LANES(CFG)
    FPGASNN_TAPS(CFG)
    FPGASNN_LOOP(gather_pixels)
    for (unsigned yo = 0; yo < CFG::out_h; yo++) {
        for (unsigned xo = 0; xo < CFG::out_w; xo++) {
            FPGASNN_LOOP(gather_channels)
            for (unsigned o = 0; o < CFG::out_c; o++) {
                FPGASNN_HLS(HLS UNROLL factor=lanes)
                typename CFG::cur_t acc = CFG::has_bias ? b[o] : typename CFG::bias_t(0);
                FPGASNN_LOOP(gather_inputs)
                for (unsigned c = 0; c < CFG::in_c; c++) {
                    FPGASNN_LOOP(gather_tap_rows)
                    for (unsigned i = 0; i < CFG::kh; i++) {
                        FPGASNN_HLS(HLS UNROLL factor=tap_rows)
                        const int y = int(yo * CFG::stride + i) - int(CFG::pad_top);
                        if (y < 0 || y >= int(CFG::ph)) continue;
                        FPGASNN_LOOP(gather_tap_cols)
                        for (unsigned j = 0; j < CFG::kw; j++) {
                            FPGASNN_HLS(HLS UNROLL factor=tap_cols)
                            const int xx = int(xo * CFG::stride + j) - int(CFG::pad_left);
                            if (xx < 0 || xx >= int(CFG::pw)) continue;
                            const typename CFG::weight_t wv = w[i * CFG::kw + j][c * CFG::out_c + o];
                            add_scaled<CFG>(acc, wv * x[c][unsigned(y)][unsigned(xx)]);
                        }
                    }
                }
                cur[yo % CFG::bank_rows][xo % CFG::bank_cols]
                   [(yo / CFG::bank_rows) * CFG::bank_w + xo / CFG::bank_cols][o] = acc;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Hidden stages: add-only, event driven. Every nonzero spike of the previous layer adds (+1) or
// subtracts (-1) one weight row into the current; AvgPool2D is folded into the addressing (a spike at
// (y, x) belongs to the window (y / pool, x / pool); rows/columns past the last full window are dropped).

template <class CFG>
void init_current(typename CFG::cur_t cur[CFG::bank_rows][CFG::bank_cols][CFG::bank_words][CFG::out_c],
                  const typename CFG::bias_t b[CFG::out_c], bool bias_on) {
    FPGASNN_LANES(CFG)
    FPGASNN_LOOP(init_current_words)
    for (unsigned p = 0; p < CFG::bank_words; p++) {
        for (unsigned o = 0; o < CFG::out_c; o++) {
            FPGASNN_HLS(HLS UNROLL factor=lanes)
            FPGASNN_HLS(HLS PIPELINE II=1)
            const typename CFG::cur_t v = (CFG::has_bias && bias_on) ? b[o] : typename CFG::bias_t(0);
            for (unsigned r = 0; r < CFG::bank_rows; r++) {
                for (unsigned q = 0; q < CFG::bank_cols; q++) cur[r][q][p][o] = v;  // every bank at once
            }
        }
    }
}

// One event: add (positive spike) or subtract (negative spike) a weight row into the current of one
// output pixel, `lanes` channels at a time.
template <class CFG>
void add_row(typename CFG::cur_t cur[CFG::out_c], const typename CFG::weight_t w[CFG::out_c], bool positive) {
    FPGASNN_LANES(CFG)
    if (positive) {
        FPGASNN_LOOP(add_lanes)
        for (unsigned o = 0; o < CFG::out_c; o++) {
            FPGASNN_HLS(HLS UNROLL factor=lanes)
            FPGASNN_HLS(HLS PIPELINE II=1)
            add_scaled<CFG>(cur[o], w[o]);
        }
    } else {
        FPGASNN_LOOP(subtract_lanes)
        for (unsigned o = 0; o < CFG::out_c; o++) {
            FPGASNN_HLS(HLS UNROLL factor=lanes)
            FPGASNN_HLS(HLS PIPELINE II=1)
            add_scaled<CFG>(cur[o], w[o], false);
        }
    }
}

// Conv2D, one input event at pooled position (yp, xp), channel c: the weights are stored [KH*KW][C*O]
// (one ROM bank per tap, each event reads one contiguous row of it).
// taps > 1: every tap at once. The output rows an event reaches are the ceil(kh / stride) = bank_rows
// candidates hy - bank_rows + 1 .. hy (hy = (yp + pad_top) / stride); the one in bank row r is
// hy - (hy - r) mod bank_rows, and its tap row is i = yp + pad_top - yo * stride (valid when < kh).
// Likewise for columns. Each bank (r, q) is updated by at most one tap, `lanes` channels per cycle.
template <class CFG>
void conv_event_banked(typename CFG::cur_t cur[CFG::bank_rows][CFG::bank_cols][CFG::bank_words][CFG::out_c],
                       const typename CFG::weight_t w[CFG::kh * CFG::kw][CFG::in_c * CFG::out_c],
                       unsigned yp, unsigned xp, unsigned c, bool positive) {
    FPGASNN_LANES(CFG)
    const unsigned ay = yp + CFG::pad_top, ax = xp + CFG::pad_left;
    const unsigned hy = ay / CFG::stride, hx = ax / CFG::stride;
    // Per bank row r: is a tap there, its in-bank row offset, its tap row; likewise per bank column.
    bool row_ok[CFG::bank_rows], col_ok[CFG::bank_cols];
    unsigned row_word[CFG::bank_rows], col_word[CFG::bank_cols], row_tap[CFG::bank_rows], col_tap[CFG::bank_cols];
    FPGASNN_HLS(HLS ARRAY_PARTITION variable=row_ok complete dim=1)
    FPGASNN_HLS(HLS ARRAY_PARTITION variable=col_ok complete dim=1)
    FPGASNN_HLS(HLS ARRAY_PARTITION variable=row_word complete dim=1)
    FPGASNN_HLS(HLS ARRAY_PARTITION variable=col_word complete dim=1)
    FPGASNN_HLS(HLS ARRAY_PARTITION variable=row_tap complete dim=1)
    FPGASNN_HLS(HLS ARRAY_PARTITION variable=col_tap complete dim=1)
    FPGASNN_LOOP(bank_rows)
    for (unsigned r = 0; r < CFG::bank_rows; r++) {
        FPGASNN_HLS(HLS UNROLL)
        const int yo = int(hy) - int((hy + CFG::bank_rows - r) % CFG::bank_rows);
        const unsigned i = ay - unsigned(yo) * CFG::stride;
        row_ok[r] = yo >= 0 && unsigned(yo) < CFG::out_h && i < CFG::kh;
        row_word[r] = row_ok[r] ? (unsigned(yo) / CFG::bank_rows) * CFG::bank_w : 0;
        row_tap[r] = row_ok[r] ? i * CFG::kw : 0;
    }
    FPGASNN_LOOP(bank_cols)
    for (unsigned q = 0; q < CFG::bank_cols; q++) {
        FPGASNN_HLS(HLS UNROLL)
        const int xo = int(hx) - int((hx + CFG::bank_cols - q) % CFG::bank_cols);
        const unsigned j = ax - unsigned(xo) * CFG::stride;
        col_ok[q] = xo >= 0 && unsigned(xo) < CFG::out_w && j < CFG::kw;
        col_word[q] = col_ok[q] ? unsigned(xo) / CFG::bank_cols : 0;
        col_tap[q] = col_ok[q] ? j : 0;
    }
#ifdef __SYNTHESIS__
    // One chunk of `lanes` channels per cycle, in every bank at once.
    FPGASNN_LOOP(banked_lanes)
    for (unsigned o = 0; o < CFG::out_c; o++) {
        FPGASNN_HLS(HLS UNROLL factor=lanes)
        FPGASNN_HLS(HLS PIPELINE II=1)
        for (unsigned r = 0; r < CFG::bank_rows; r++) {
            FPGASNN_HLS(HLS UNROLL)
            for (unsigned q = 0; q < CFG::bank_cols; q++) {
                FPGASNN_HLS(HLS UNROLL)
                if (row_ok[r] && col_ok[q]) {
                    add_scaled<CFG>(cur[r][q][row_word[r] + col_word[q]][o],
                                    w[row_tap[r] + col_tap[q]][c * CFG::out_c + o], positive);
                }
            }
        }
    }
#else
    // C simulation: the same additions (each bank's word gets its tap's row), bank by bank, so that
    // g++ runs contiguous channel loops (the order of these independent additions changes nothing).
    for (unsigned r = 0; r < CFG::bank_rows; r++) {
        if (!row_ok[r]) continue;
        for (unsigned q = 0; q < CFG::bank_cols; q++) {
            if (!col_ok[q]) continue;
            typename CFG::cur_t *dst = cur[r][q][row_word[r] + col_word[q]];
            const typename CFG::weight_t *src = &w[row_tap[r] + col_tap[q]][c * CFG::out_c];
            if (positive) {
                for (unsigned o = 0; o < CFG::out_c; o++) add_scaled<CFG>(dst[o], src[o]);
            } else {
                for (unsigned o = 0; o < CFG::out_c; o++) add_scaled<CFG>(dst[o], src[o], false);
            }
        }
    }
#endif
}

// taps == 1: the kernel taps one after another (a single bank).
template <class CFG>
void conv_event_serial(typename CFG::cur_t cur[CFG::bank_rows][CFG::bank_cols][CFG::bank_words][CFG::out_c],
                       const typename CFG::weight_t w[CFG::kh * CFG::kw][CFG::in_c * CFG::out_c],
                       unsigned yp, unsigned xp, unsigned c, bool positive) {
    FPGASNN_LOOP(tap_rows)
    for (unsigned i = 0; i < CFG::kh; i++) {
        const int ty = int(yp) + int(CFG::pad_top) - int(i);
        if (ty < 0 || ty % int(CFG::stride) != 0) continue;
        const unsigned yo = unsigned(ty) / CFG::stride;
        if (yo >= CFG::out_h) continue;
        FPGASNN_LOOP(tap_cols)
        for (unsigned j = 0; j < CFG::kw; j++) {
            const int tx = int(xp) + int(CFG::pad_left) - int(j);
            if (tx < 0 || tx % int(CFG::stride) != 0) continue;
            const unsigned xo = unsigned(tx) / CFG::stride;
            if (xo >= CFG::out_w) continue;
            add_row<CFG>(cur[yo % CFG::bank_rows][xo % CFG::bank_cols]
                            [(yo / CFG::bank_rows) * CFG::bank_w + xo / CFG::bank_cols],
                         &w[i * CFG::kw + j][c * CFG::out_c], positive);
        }
    }
}

template <class CFG>
inline void conv_event(typename CFG::cur_t cur[CFG::bank_rows][CFG::bank_cols][CFG::bank_words][CFG::out_c],
                       const typename CFG::weight_t w[CFG::kh * CFG::kw][CFG::in_c * CFG::out_c],
                       unsigned yp, unsigned xp, unsigned c, bool positive) {
    if (CFG::taps > 1) {
        conv_event_banked<CFG>(cur, w, yp, xp, c, positive);
    } else {
        conv_event_serial<CFG>(cur, w, yp, xp, c, positive);
    }
}

// One time step's input of a hidden stage: the current starts at the bias (when biases are on), then
// every event of the previous layer's step is scattered into it, up to the end-of-step marker. An
// event is one (position, chunk of in_lanes channels) of the previous layer with a nonzero spike;
// AvgPool2D is folded into the addressing (a spike at (y, x) belongs to the window (y / pool, x / pool);
// rows/columns past the last full window are dropped).
// Conv2D: see conv_event.
template <class CFG>
void conv_scatter(hls::stream<typename CFG::in_event_t> &in,
                  typename CFG::cur_t cur[CFG::bank_rows][CFG::bank_cols][CFG::bank_words][CFG::out_c],
                  const typename CFG::weight_t w[CFG::kh * CFG::kw][CFG::in_c * CFG::out_c],
                  const typename CFG::bias_t b[CFG::out_c], bool bias_on) {
    init_current<CFG>(cur, b, bias_on);
    FPGASNN_LOOP(scatter_events)
    for (;;) {
        const typename CFG::in_event_t ev = in.read();
        if (ev.end) break;
        const unsigned y = unsigned(ev.pixel) / CFG::in_w, x = unsigned(ev.pixel) % CFG::in_w;
        if (y >= CFG::ph * CFG::pool || x >= CFG::pw * CFG::pool) continue;
        FPGASNN_LOOP(scatter_event_lanes)
        for (unsigned l = 0; l < CFG::in_lanes; l++) {
            const bool pos = ev.pos[l], neg = ev.neg[l];
            if (!pos && !neg) continue;
            conv_event<CFG>(cur, w, y / CFG::pool, x / CFG::pool, unsigned(ev.chunk) * CFG::in_lanes + l, pos);
        }
    }
}

// Dense on (pooled, flattened) spikes: the flat index is C, H, W order of the pooled tensor; weights
// stored (F, O).
template <class CFG>
void dense_scatter(hls::stream<typename CFG::in_event_t> &in, typename CFG::cur_t cur[1][1][1][CFG::out_c],
                   const typename CFG::weight_t w[CFG::in_c * CFG::ph * CFG::pw * CFG::out_c],
                   const typename CFG::bias_t b[CFG::out_c], bool bias_on) {
    init_current<CFG>(cur, b, bias_on);
    FPGASNN_LOOP(dense_events)
    for (;;) {
        const typename CFG::in_event_t ev = in.read();
        if (ev.end) break;
        const unsigned y = unsigned(ev.pixel) / CFG::in_w, x = unsigned(ev.pixel) % CFG::in_w;
        if (y >= CFG::ph * CFG::pool || x >= CFG::pw * CFG::pool) continue;
        const unsigned pp = (y / CFG::pool) * CFG::pw + x / CFG::pool;
        FPGASNN_LOOP(dense_event_lanes)
        for (unsigned l = 0; l < CFG::in_lanes; l++) {
            const bool pos = ev.pos[l], neg = ev.neg[l];
            if (!pos && !neg) continue;
            const unsigned c = unsigned(ev.chunk) * CFG::in_lanes + l;
            add_row<CFG>(cur[0][0][0], &w[(c * CFG::ph * CFG::pw + pp) * CFG::out_c], pos);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Spiking neurons. v0 is a ROM of one value (per-layer initial membrane) or one per neuron in the
// internal order.

template <class CFG>
void neuron_init(typename CFG::mem_t v[CFG::pixels][CFG::channels],
                 typename CFG::cnt_t n[CFG::pixels][CFG::channels],
                 const typename CFG::v0_t v0[CFG::v0_size]) {
    FPGASNN_LANES(CFG)
    FPGASNN_LOOP(neuron_init_pixels)
    for (unsigned p = 0; p < CFG::pixels; p++) {
        for (unsigned o = 0; o < CFG::channels; o++) {
            FPGASNN_HLS(HLS UNROLL factor=lanes)
            FPGASNN_HLS(HLS PIPELINE II=1)
            v[p][o] = CFG::per_neuron_v0 ? v0[p * CFG::channels + o] : v0[0];
            if (CFG::counts) n[p][o] = 0;
        }
    }
}

// End of the COS pre-simulation: v0' = v0 + theta * [v >= theta] - theta * [v < 0 and N > 0];
// the wake steps start from v = v0', N = 0.
template <class CFG>
void neuron_presim_shift(typename CFG::mem_t v[CFG::pixels][CFG::channels],
                         typename CFG::cnt_t n[CFG::pixels][CFG::channels],
                         const typename CFG::v0_t v0[CFG::v0_size]) {
    FPGASNN_LANES(CFG)
    typedef typename CFG::mem_calc_t calc_t;
    const calc_t theta = CFG::theta;
    FPGASNN_LOOP(presim_shift_pixels)
    for (unsigned p = 0; p < CFG::pixels; p++) {
        for (unsigned o = 0; o < CFG::channels; o++) {
            FPGASNN_HLS(HLS UNROLL factor=lanes)
            FPGASNN_HLS(HLS PIPELINE II=1)
            const calc_t vv = v[p][o];
            calc_t start = CFG::per_neuron_v0 ? v0[p * CFG::channels + o] : v0[0];
            if (vv >= theta) {
                start += theta;
            } else if (vv < 0 && n[p][o] != 0) {
                start -= theta;
            }
            v[p][o] = start;
            n[p][o] = 0;
        }
    }
}

// One time step: v += I (when add_current), fire, reset by subtraction, count; the spikes leave as
// events on `out`: one per (position, chunk of `lanes` channels) with a nonzero spike, in position
// then chunk order, then the end-of-step marker.
// t_wake: wake steps so far, this one included (frozen in sleep steps, 0 in presim steps).
// The arithmetic runs in mem_calc_t (ap_int<B> in synthesis and in the strict C simulation).
// Trace builds also report the step's spikes (layer `layer`, step `step`) to trace_spikes.
template <class CFG>
void neuron_step(typename CFG::mem_t v[CFG::pixels][CFG::channels],
                 typename CFG::cnt_t n[CFG::pixels][CFG::channels],
                 const typename CFG::cur_t cur[CFG::bank_rows][CFG::bank_cols][CFG::bank_words][CFG::channels],
                 bool add_current, unsigned t_wake, hls::stream<typename CFG::event_t> &out,
                 unsigned layer, unsigned step) {
    typedef typename CFG::mem_calc_t calc_t;
    typedef typename CFG::cnt_calc_t count_t;
    const calc_t theta = CFG::theta;
    const count_t wake = t_wake;
#ifdef FPGASNN_TRACE
    static_assert(CFG::pixels * CFG::channels > 0, "empty layer");
    signed char trace[CFG::pixels * CFG::channels];
#else
    (void)layer;
    (void)step;
#endif
    FPGASNN_LOOP(neuron_pixels)
    for (unsigned p = 0; p < CFG::pixels; p++) {
        const unsigned y = p / CFG::width, x = p % CFG::width;
        const typename CFG::cur_t *in = cur[y % CFG::bank_rows][x % CFG::bank_cols]
                                           [(y / CFG::bank_rows) * CFG::bank_w + x / CFG::bank_cols];
        FPGASNN_LOOP(neuron_chunks)
        for (unsigned k = 0; k < CFG::chunks; k++) {
            FPGASNN_HLS(HLS PIPELINE II=1)
            signed char spikes[CFG::lanes];
            FPGASNN_HLS(HLS ARRAY_PARTITION variable=spikes complete dim=1)
            bool any = false;
            FPGASNN_LOOP(neuron_lanes)
            for (unsigned l = 0; l < CFG::lanes; l++) {
                FPGASNN_HLS(HLS UNROLL)
                const unsigned o = k * CFG::lanes + l;
                spikes[l] = 0;
                if (o >= CFG::channels) continue;  // the last chunk may be partly empty
                calc_t vv = v[p][o];
                if (add_current) vv += in[o];
                const count_t nn = CFG::counts ? count_t(n[p][o]) : count_t(0);
                bool pos = vv >= theta;
                if (CFG::kind == NEURON_CONSISTENT_IF) pos = pos && nn < wake;
                const bool neg = CFG::kind != NEURON_IF && vv < 0 && nn > 0;
                const int spike = pos ? 1 : (neg ? -1 : 0);  // pos and neg exclude each other
                v[p][o] = vv - (pos ? theta : (neg ? calc_t(-theta) : calc_t(0)));
                if (CFG::counts) n[p][o] = nn + spike;
                spikes[l] = (signed char)spike;
                any = any || spike != 0;
#ifdef FPGASNN_TRACE
                trace[p * CFG::channels + o] = (signed char)spike;
#endif
            }
            if (any) {
                typename CFG::event_t ev;
                ev.pixel = p;
                ev.chunk = k;
                ev.end = false;
                for (unsigned l = 0; l < CFG::lanes; l++) {
                    FPGASNN_HLS(HLS UNROLL)
                    ev.pos[l] = spikes[l] > 0;
                    ev.neg[l] = spikes[l] < 0;
                }
                out.write(ev);
            }
        }
    }
    typename CFG::event_t end;
    end.pixel = 0;
    end.chunk = 0;
    end.pos = 0;
    end.neg = 0;
    end.end = true;
    out.write(end);
#ifdef FPGASNN_TRACE
    trace_spikes(layer, step, trace, CFG::pixels * CFG::channels);
#endif
}

// The schedule of one inference, step by step: presim steps (COS pre-run), wake steps, sleep steps.
// Biases (and the first layer's current) are on in presim and wake steps; t_wake counts the wake steps
// so far, this one included (frozen in sleep steps, 0 in presim steps).
struct step_phase_t {
    bool presim;
    bool restart;  // first step after the pre-run: shift the initial membranes, restart from them
    bool bias_on;
};

inline step_phase_t step_phase(unsigned t, unsigned presim, unsigned wake, unsigned &t_wake) {
    step_phase_t ph;
    ph.presim = t < presim;
    ph.restart = presim > 0 && t == presim;
    ph.bias_on = t < presim + wake;
    if (!ph.presim && ph.bias_on) t_wake++;
    return ph;
}

// ---------------------------------------------------------------------------------------------------
// Output accumulator: integer membranes without spikes; class = first index of the maximum.

template <class CFG>
void output_init(typename CFG::acc_t acc[CFG::classes]) {
    FPGASNN_LANES(CFG)
    FPGASNN_LOOP(output_init_classes)
    for (unsigned o = 0; o < CFG::classes; o++) {
        FPGASNN_HLS(HLS UNROLL factor=lanes)
        FPGASNN_HLS(HLS PIPELINE II=1)
        acc[o] = 0;
    }
}

template <class CFG>
void output_accumulate(typename CFG::acc_t acc[CFG::classes], const typename CFG::cur_t cur[1][1][1][CFG::classes]) {
    FPGASNN_LANES(CFG)
    FPGASNN_LOOP(output_accumulate_classes)
    for (unsigned o = 0; o < CFG::classes; o++) {
        FPGASNN_HLS(HLS UNROLL factor=lanes)
        FPGASNN_HLS(HLS PIPELINE II=1)
        acc[o] += cur[0][0][0][o];
    }
}

// Scores (one beat each, sign-extended to the beat width), then the class with TLAST.
template <class CFG>
void write_output(const typename CFG::acc_t acc[CFG::classes], hls::stream<typename CFG::beat_t> &out) {
    typename CFG::acc_t best = acc[0];
    unsigned best_index = 0;
    FPGASNN_LOOP(write_scores)
    for (unsigned o = 0; o < CFG::classes; o++) {
        FPGASNN_HLS(HLS PIPELINE II=1)
        if (acc[o] > best) {
            best = acc[o];
            best_index = o;
        }
        typename CFG::beat_t beat;
        beat.data = ap_int<CFG::beat_bits>(acc[o]);
        beat.keep = -1;
        beat.strb = -1;
        beat.last = 0;
        out.write(beat);
    }
    typename CFG::beat_t cls;
    cls.data = best_index;
    cls.keep = -1;
    cls.strb = -1;
    cls.last = 1;
    out.write(cls);
}

}  // namespace fpgasnn

#endif  // FPGASNN_LAYERS_H_
