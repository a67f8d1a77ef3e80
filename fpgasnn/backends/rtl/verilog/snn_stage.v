// snn_stage: one hardware layer of the event-driven spiking core (synapse + neurons or output).
//
// Contract (the golden model fpgasnn/golden/simulate.py is the spec):
//  * Scatter: every input event (producer position POS, channel C, value VAL) adds VAL * W[., C, tap]
//    into the target memory, LANES output channels per cycle, in GROUPS tap groups: the target memory
//    is split into BANKS banks by output position (umap), and every tap of a group lands in a
//    different bank (tmap), so a group's taps update in the same cycle (GROUPS = 1: all taps at once). First stage: VAL is a pixel and the
//    target is the current RAM (kept for the whole image); other stages: VAL is +-1 and the target is
//    the membrane (or, for the output stage, the accumulator) RAM.
//  * Update pass, one memory word (LANES neurons) per cycle:
//      I = (first ? (sleep ? 0 : cur) : 0) + (bias_on ? b : 0);  v = v + I
//      pos = v >= THETA (CIF: and N < t_wake);  neg = signed && v < 0 && N > 0
//      v -= s*THETA; N += s; words with spikes are pushed to the event queue.
//    last step: v <- v0, N <- 0, cur <- 0 (ready for the next image);
//    last presim step: v <- v0 + THETA*[v >= THETA] - THETA*[v < 0 && N > 0], N <- 0.
//    Output stage: acc += I; last presim step: acc <- 0.
//  * Init pass (after reset): v <- v0, N <- 0, cur <- 0, acc <- 0; queue emptied.
// Memory words: word = pos * OCH + chunk (bank umap[pos].bank, address umap[pos].base + chunk);
// lane l of chunk k is channel k*LANES + l.
// All arithmetic on stored values is modulo 2**width; range analysis proves results fit.
`default_nettype none
module snn_stage #(
    parameter integer IS_FIRST = 0,
    parameter integer IS_OUT = 0,
    parameter integer IS_DENSE = 0,
    parameter integer KIND = 0,          // 0 IF, 1 signed IF, 2 consistent IF
    parameter integer LANES = 4,
    parameter integer OCH = 1,           // output chunks = ceil(O / LANES)
    parameter integer O = 4,             // real output channels
    parameter integer NPOS = 1,          // output positions
    parameter integer MB = 16,           // membrane / accumulator width
    parameter integer CB = 16,           // current width (first stage)
    parameter integer WB = 8,            // weight width (stored weights)
    parameter integer WSH = 0,           // weight = stored weight << WSH (refined layers)
    parameter integer BB = 8,            // bias width
    parameter integer NB = 4,            // spike / step counter width
    parameter integer PRESIM = 0,        // steps of one inference: PRESIM + WAKE + SLEEP
    parameter integer WAKE = 1,
    parameter integer SLEEP = 0,
    parameter integer THETA = 1,
    parameter integer V0 = 0,
    parameter integer V0_PER = 0,
    parameter integer VALB = 2,          // event value width (signed)
    parameter integer IN_NPOS = 1,       // producer positions
    parameter integer IN_C = 1,          // producer channels (padded)
    parameter integer IN_CB = 1,         // width of a producer channel index
    parameter integer IN_POSB = 1,       // width of a producer position index
    parameter integer GROUPS = 1,        // tap groups per input event (conv; dense: 1)
    parameter integer BANKS = 1,         // target-memory banks (by output position)
    parameter integer BWORDS = 1,        // words per bank
    parameter integer RROWS = 1,         // weight rows per chunk (dense)
    parameter integer WDEPTH = 1,
    parameter integer TDEPTH = 1,
    parameter integer PMB = 1,           // width of a position-map base
    parameter integer TMB = 1,           // width of an in-bank word address (tap map, update map)
    parameter integer TWB = 1,           // width of a tap-map weight base
    parameter integer QW = 1,            // width of a producer queue entry
    parameter integer QAB = 1,           // producer queue address width
    parameter integer P_LANES = 1,       // producer lanes (events from the queue)
    parameter integer P_CHB = 1,         // producer chunk index width
    parameter W_FILE = "w.mem",
    parameter B_FILE = "b.mem",
    parameter V0_FILE = "v0.mem",
    parameter PMAP_FILE = "pmap.mem",
    parameter TMAP_FILE = "tmap.mem",
    parameter UMAP_FILE = "umap.mem"
) (
    input  wire clk,
    input  wire rst,
    // initialisation (a one-cycle pulse after reset), then run
    input  wire cmd_init,
    output wire busy,
    input  wire go,
    // pipeline handshake: completed passes, modulo 4 (a stage is at most two steps ahead of the next)
    input  wire [1:0] p_upd,             // the producer's update passes
    input  wire [1:0] c_scat,            // the consumer's scatter passes
    output reg  [1:0] n_upd,
    output reg  [1:0] n_scat,
    // first stage: every pixel of the image is in (level) / the receive phase is over (pulse)
    input  wire rx_done,
    output wire rx_ack,
    // output stage: the scores are final (level) / they have been sent (pulse)
    output wire img_done,
    input  wire tx_done,
    // first stage: pixel events (accepted in one cycle when zero, 1 + ops cycles otherwise)
    input  wire ev_valid,
    output wire ev_ready,
    input  wire [IN_POSB-1:0] ev_pos,
    input  wire [IN_CB-1:0] ev_c,
    input  wire [VALB-1:0] ev_val,
    // other stages: the producer's event queue
    output wire [QAB-1:0] pq_raddr,
    output wire pq_rbank,                // the producer's queue bank of the step being scattered
    input  wire [QW-1:0] pq_rdata,
    input  wire [QAB:0] pq_count,
    // this stage's event queue (read by the consumer)
    input  wire [QA-1:0] q_raddr,
    input  wire q_rbank,
    output reg  [QE-1:0] q_rdata,
    output wire [QA:0] q_count,
    // debug: every word with spikes of the update pass
    output wire [NB-1:0] dbg_step,
    output reg  [15:0] dbg_img,
    output reg  dbg_we,
    output reg  [QA-1:0] dbg_addr,
    output reg  [LANES-1:0] dbg_pos,
    output reg  [LANES-1:0] dbg_neg,
    // output stage: accumulator read / clear port (TX)
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [QA-1:0] acc_addr,       // (banked stages use the low bits only: never read there)
    /* verilator lint_on UNUSEDSIGNAL */
    output wire [LANES*MB-1:0] acc_rdata,
    input  wire acc_clear
);
    localparam integer NWORDS = NPOS * OCH;
    localparam integer QA = (NWORDS > 1) ? $clog2(NWORDS) : 1;
    localparam integer POSB = (NPOS > 1) ? $clog2(NPOS) : 1;
    localparam integer CHB = (OCH > 1) ? $clog2(OCH) : 1;
    localparam integer QE = POSB + CHB + 2 * LANES;
    localparam integer SIGNED = (KIND != 0) ? 1 : 0;
    localparam integer XB = ((MB > CB) ? MB : CB) + 34;   // wide enough for v + I and THETA
    localparam integer PB = (WB + VALB + WSH);            // product width
    localparam integer WA = (WDEPTH > 1) ? $clog2(WDEPTH) : 1;
    localparam integer TA = (TDEPTH > 1) ? $clog2(TDEPTH) : 1;
    localparam integer KTB = (GROUPS > 1) ? $clog2(GROUPS) + 1 : 1;
    localparam integer TE = 1 + TWB + TMB;                // tap-map entry of one bank
    localparam integer UBB = (BANKS > 1) ? $clog2(BANKS) : 1;
    localparam integer TW = (IS_FIRST != 0) ? CB : MB;    // target words: currents (first) or membranes
    localparam integer PLB = (P_LANES > 1) ? $clog2(P_LANES) : 1;

    // ------------------------------------------------------------------ memories
    reg [LANES*NB-1:0] nmem [0:NWORDS-1];
    reg [LANES*BB-1:0] brom [0:OCH-1];
    reg [LANES*MB-1:0] v0rom [0:NWORDS-1];
    reg [PMB:0] pmap [0:IN_NPOS-1];
    reg [BANKS*TE-1:0] tmap [0:TDEPTH-1];
    reg [QE-1:0] qmem [0:(2 << QA)-1];   // two banks (steps of even / odd index), 2**QA words each
    initial begin
        $readmemh(B_FILE, brom);
        $readmemh(PMAP_FILE, pmap);
        if (IS_DENSE == 0) $readmemh(TMAP_FILE, tmap);
        if (V0_PER != 0) $readmemh(V0_FILE, v0rom);
    end

    // ------------------------------------------------------------------ control
    localparam [3:0] S_IDLE = 4'd0, S_INIT = 4'd1, S_FETCH = 4'd2, S_LOAD = 4'd3, S_PICK = 4'd4,
                     S_OPS = 4'd5, S_UPD = 4'd6, S_EVW = 4'd7;
    reg [3:0] state;
    reg [QA:0] wcnt;              // word counter of init / update passes
    reg [POSB-1:0] upos;
    reg [CHB-1:0] uch;
    reg [QAB:0] rptr;
    reg [QW-1:0] qword;
    reg [KTB-1:0] t;
    reg [CHB-1:0] oc;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [PMB-1:0] ebase;  // dense stages use no tap map
    /* verilator lint_on UNUSEDSIGNAL */
    reg evalid_map;
    reg signed [VALB-1:0] eval;
    reg [WA-1:0] wa;              // dense: running weight address
    reg [IN_CB-1:0] ec;           // conv: the event's channel
    reg [WA-1:0] ocoff;           // conv: chunk * IN_C
    // pipelined RMW (one op per cycle, executed the cycle after issue)
    reg pbusy;                    // an op was issued last cycle (valid or not)
    reg signed [VALB-1:0] pval;

    assign busy = (state != S_IDLE && state != S_EVW) || pbusy || cmd_init;
    assign ev_ready = (state == S_EVW);

    // ------------------------------------------------------------------ pipeline sequencer
    // Per image: (first stage) receive the pixels, or (others) scatter the producer's events of the
    // step; then the update pass of the step; the output stage waits for its scores to be sent before
    // the next image. A scatter of step j waits for the producer's update of step j; an update of step
    // j waits until the consumer has scattered step j - 2 (its queue bank is free again).
    localparam integer TOTAL = PRESIM + WAKE + SLEEP;
    localparam [2:0] Q_START = 3'd0, Q_RX0 = 3'd1, Q_RX = 3'd2, Q_SCW = 3'd3, Q_SC = 3'd4,
                     Q_UPW = 3'd5, Q_UP = 3'd6, Q_TX = 3'd7;
    reg [2:0] seq;
    reg [NB-1:0] k;                      // this stage's step of the current image
    reg [QA:0] qc0, qc1;                 // words queued in bank 0 / 1
    wire wbank = n_upd[0];               // the bank the update pass of this step writes
    /* verilator lint_off UNUSEDSIGNAL */
    wire [QA:0] wcount = wbank ? qc1 : qc0;  // (its top bit only counts a full bank)
    /* verilator lint_on UNUSEDSIGNAL */
    assign q_count = q_rbank ? qc1 : qc0;
    assign pq_rbank = n_scat[0];
    wire quiet = !pbusy && (state == S_IDLE || state == S_EVW);
    wire [1:0] ahead = n_upd - c_scat;
    wire can_sc = (p_upd != n_scat);
    wire can_up = (IS_OUT != 0) || (ahead <= 2'd1);
    wire cmd_scatter = !pbusy && (state == S_IDLE) && ((seq == Q_RX0) || (seq == Q_SCW && can_sc));
    wire cmd_update = quiet && can_up && ((seq == Q_UPW) || (seq == Q_RX && rx_done));
    assign rx_ack = cmd_update && (seq == Q_RX);
    assign img_done = (seq == Q_TX);
    assign dbg_step = k;
    wire m_bias_on = (k < NB'(PRESIM + WAKE));
    wire m_sleep = !m_bias_on;
    wire m_last = (k == NB'(TOTAL - 1));
    wire m_last_presim = (PRESIM > 0) && (k == NB'(PRESIM - 1));
    wire [NB-1:0] m_t_wake = (PRESIM > 0 && {1'b0, k} < (NB+1)'(PRESIM)) ? '0
                             : ((k >= NB'(PRESIM + WAKE)) ? NB'(WAKE) : k - NB'(PRESIM) + 1'b1);
    wire pass_done = !pbusy && (state == S_IDLE);
    always @(posedge clk) begin
        if (rst) begin
            seq <= Q_START;
            k <= '0;
            n_upd <= '0;
            n_scat <= '0;
            dbg_img <= '0;
        end else begin
            case (seq)
                Q_START: if (go) seq <= (IS_FIRST != 0) ? Q_RX0 : Q_SCW;
                Q_RX0: if (cmd_scatter) seq <= Q_RX;
                Q_RX: if (cmd_update) seq <= Q_UP;
                Q_SCW: if (cmd_scatter) seq <= Q_SC;
                Q_SC: if (pass_done) begin
                    n_scat <= n_scat + 1'b1;
                    seq <= Q_UPW;
                end
                Q_UPW: if (cmd_update) seq <= Q_UP;
                Q_UP: if (pass_done) begin
                    n_upd <= n_upd + 1'b1;
                    if (m_last) begin
                        k <= '0;
                        dbg_img <= dbg_img + 1'b1;
                        seq <= (IS_OUT != 0) ? Q_TX : ((IS_FIRST != 0) ? Q_RX0 : Q_SCW);
                    end else begin
                        k <= k + 1'b1;
                        seq <= (IS_FIRST != 0) ? Q_UPW : Q_SCW;
                    end
                end
                Q_TX: if (tx_done) seq <= (IS_FIRST != 0) ? Q_RX0 : Q_SCW;
                default: seq <= Q_START;
            endcase
        end
    end

    // producer queue entry fields: {pos, chunk, pos_mask, neg_mask}
    wire last_op = (oc == CHB'(OCH - 1)) && (IS_DENSE != 0 || t == KTB'(GROUPS - 1));
    // The spike picked next comes from the current word while it has spikes left, else (in the last
    // op cycle of a word) straight from the queue's read port, which already holds the next word: a
    // word costs no cycle beyond its spikes' ops.
    wire [P_LANES-1:0] w_any = qword[2*P_LANES-1:P_LANES] | qword[P_LANES-1:0];
    wire take = (IS_FIRST == 0) && (state == S_OPS) && last_op && (w_any == '0) && (rptr != pq_count);
    wire [QW-1:0] src = (state == S_OPS && w_any == '0) ? pq_rdata : qword;
    wire [P_LANES-1:0] q_pmask = src[2*P_LANES-1:P_LANES];
    wire [P_LANES-1:0] q_nmask = src[P_LANES-1:0];
    wire [P_LANES-1:0] q_any = q_pmask | q_nmask;
    wire [P_CHB-1:0] q_chunk = src[2*P_LANES+P_CHB-1:2*P_LANES];
    wire [IN_POSB-1:0] q_pos = src[QW-1:2*P_LANES+P_CHB];
    // lowest set lane: a binary tree (log2 depth; a linear priority chain over 128 lanes was too
    // deep for synthesis), heap layout: node k has children 2k (lower lanes) and 2k + 1
    localparam integer PN = 1 << PLB;
    wire [PN-1:0] anyp = PN'(q_any);
    /* verilator lint_off UNUSEDSIGNAL */  // (node 0 unused; the root's valid bit is not needed)
    wire [2*PN-1:0] hv;
    wire [2*PN*PLB-1:0] hid;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [PLB-1:0] lane = hid[PLB +: PLB];
    genvar gk;
    generate
        for (gk = PN; gk < 2 * PN; gk = gk + 1) begin : g_leaf
            assign hv[gk] = anyp[gk - PN];
            assign hid[gk*PLB +: PLB] = PLB'(gk - PN);
        end
        for (gk = 1; gk < PN; gk = gk + 1) begin : g_node
            assign hv[gk] = hv[2*gk] | hv[2*gk+1];
            assign hid[gk*PLB +: PLB] = hv[2*gk] ? hid[2*gk*PLB +: PLB] : hid[(2*gk+1)*PLB +: PLB];
        end
        assign hv[0] = 1'b0;
        assign hid[0 +: PLB] = '0;
    endgenerate
    wire [IN_CB-1:0] pick_c = IN_CB'(q_chunk) * IN_CB'(P_LANES) + IN_CB'(lane);
    assign pq_raddr = take ? QAB'(rptr + 1'b1) : QAB'(rptr);  // look ahead past the word taken now

    // current event's map entry
    wire [PMB:0] pm = pmap[(IS_FIRST != 0) ? ev_pos : q_pos];
    wire [TA-1:0] ti = TA'(ebase) + TA'(t);
    wire [BANKS*TE-1:0] tm = tmap[ti];

    always @(posedge clk) begin
        if (rst) begin
            state <= S_IDLE;
            pbusy <= 1'b0;
            qc0 <= '0;
            qc1 <= '0;
            dbg_we <= 1'b0;
        end else begin
            pbusy <= (state == S_OPS);
            dbg_we <= 1'b0;
            case (state)
                S_IDLE: begin
                    wcnt <= '0;
                    upos <= '0;
                    uch <= '0;
                    if (cmd_init) begin
                        state <= S_INIT;
                        qc0 <= '0;
                        qc1 <= '0;
                    end else if (cmd_scatter) begin
                        rptr <= '0;
                        state <= (IS_FIRST != 0) ? S_EVW : S_FETCH;
                    end else if (cmd_update) begin
                        state <= S_UPD;
                        if (wbank) qc1 <= '0; else qc0 <= '0;
                    end
                end
                S_INIT: begin
                    wcnt <= wcnt + 1'b1;
                    if (uch == CHB'(OCH - 1)) begin
                        uch <= '0;
                        upos <= upos + 1'b1;
                    end else begin
                        uch <= uch + 1'b1;
                    end
                    if (wcnt == (QA+1)'(NWORDS - 1)) state <= S_IDLE;
                end
                S_EVW: begin  // first stage: wait for pixel events; cmd_scatter again ends
                    if (cmd_update) begin
                        state <= S_UPD;
                        if (wbank) qc1 <= '0; else qc0 <= '0;
                    end else if (ev_valid && ev_val != '0) begin
                        ebase <= pm[PMB-1:0];
                        evalid_map <= pm[PMB];
                        eval <= ev_val;
                        wa <= WA'(pm[PMB-1:0]) + WA'(ev_c);
                        ec <= ev_c;
                        ocoff <= '0;
                        t <= '0;
                        oc <= '0;
                        state <= S_OPS;
                    end
                end
                S_FETCH: begin
                    if (rptr == pq_count) begin
                        state <= S_IDLE;
                    end else begin
                        rptr <= rptr + 1'b1;
                        state <= S_LOAD;
                    end
                end
                S_LOAD: begin
                    qword <= pq_rdata;
                    state <= S_PICK;
                end
                S_PICK: begin
                    if (q_any == '0) begin
                        state <= S_FETCH;
                    end else begin
                        ebase <= pm[PMB-1:0];
                        evalid_map <= pm[PMB];
                        eval <= q_nmask[lane] ? -(VALB'(1)) : VALB'(1);
                        wa <= WA'(pm[PMB-1:0]) + WA'(pick_c);
                        ec <= pick_c;
                        ocoff <= '0;
                        t <= '0;
                        oc <= '0;
                        qword[P_LANES + 32'(lane)] <= 1'b0;
                        qword[32'(lane)] <= 1'b0;
                        state <= S_OPS;
                    end
                end
                S_OPS: begin
                    pval <= eval;
                    wa <= wa + WA'(RROWS);
                    if (oc == CHB'(OCH - 1)) begin
                        oc <= '0;
                        ocoff <= '0;
                        t <= t + 1'b1;
                    end else begin
                        oc <= oc + 1'b1;
                        ocoff <= ocoff + WA'(IN_C);
                    end
                    if (last_op) begin
                        if (IS_FIRST != 0) begin
                            state <= S_EVW;
                        end else if (w_any == '0) begin
                            if (rptr == pq_count) begin
                                state <= S_IDLE;
                            end else begin
                                // word done: the next word (on the read port) is taken here
                                rptr <= rptr + 1'b1;
                                ebase <= pm[PMB-1:0];
                                evalid_map <= pm[PMB];
                                eval <= q_nmask[lane] ? -(VALB'(1)) : VALB'(1);
                                wa <= WA'(pm[PMB-1:0]) + WA'(pick_c);
                                ec <= pick_c;
                                ocoff <= '0;
                                t <= '0;
                                oc <= '0;
                                qword <= src;
                                qword[P_LANES + 32'(lane)] <= 1'b0;
                                qword[32'(lane)] <= 1'b0;
                            end
                        end else begin
                            // next spike of the same word: picked here, without an S_PICK cycle
                            // (S_PICK cleared the current lane, so ``lane`` is already the next one)
                            eval <= q_nmask[lane] ? -(VALB'(1)) : VALB'(1);
                            wa <= WA'(pm[PMB-1:0]) + WA'(pick_c);
                            ec <= pick_c;
                            ocoff <= '0;
                            t <= '0;
                            oc <= '0;
                            qword[P_LANES + 32'(lane)] <= 1'b0;
                            qword[32'(lane)] <= 1'b0;
                        end
                    end
                end
                S_UPD: begin
                    wcnt <= wcnt + 1'b1;
                    if (uch == CHB'(OCH - 1)) begin
                        uch <= '0;
                        upos <= upos + 1'b1;
                    end else begin
                        uch <= uch + 1'b1;
                    end
                    if (IS_OUT == 0) begin
                        dbg_we <= |(upd_pos | upd_neg);
                        dbg_addr <= QA'(wcnt);
                        dbg_pos <= upd_pos;
                        dbg_neg <= upd_neg;
                        if (|(upd_pos | upd_neg)) begin
                            if (wbank) qc1 <= qc1 + 1'b1; else qc0 <= qc0 + 1'b1;
                        end
                    end
                    if (wcnt == (QA+1)'(NWORDS - 1)) state <= S_IDLE;
                end
                default: state <= S_IDLE;
            endcase
        end
    end

    // ------------------------------------------------------------------ update datapath
    wire [QA-1:0] ua = QA'(wcnt);
    wire [LANES*NB-1:0] n_word = nmem[ua];
    // the update pass's word in the banked target memory
    wire [UBB-1:0] ubank;
    wire [TMB-1:0] uaddr;
    generate
        if (BANKS > 1) begin : g_umap
            reg [UBB+TMB-1:0] umap [0:NPOS-1];
            initial $readmemh(UMAP_FILE, umap);
            wire [UBB+TMB-1:0] um = umap[upos];
            assign ubank = um[UBB+TMB-1:TMB];
            assign uaddr = um[TMB-1:0] + TMB'(uch);
        end else begin : g_nomap
            assign ubank = '0;
            assign uaddr = TMB'(wcnt);
        end
    endgenerate
    wire [LANES*MB-1:0] v_word;
    wire [LANES*CB-1:0] c_word;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [LANES*MB-1:0] acc_first;       // accumulators of a stage that is first and output at once
    /* verilator lint_on UNUSEDSIGNAL */
    wire [LANES*BB-1:0] b_word = brom[uch];
    wire [LANES*MB-1:0] v0_word = (V0_PER != 0) ? v0rom[ua] : {LANES{MB'(V0)}};
    reg [LANES*MB-1:0] v_new;
    reg [LANES*NB-1:0] n_new;
    reg [LANES-1:0] upd_pos, upd_neg;
    reg signed [XB-1:0] x_i, x_v, x_v2, x_v0;
    reg signed [MB-1:0] m_v1, m_v2;
    reg [NB-1:0] x_n, x_n2;
    reg sp, sn;
    integer l;
    localparam signed [XB-1:0] XTHETA = XB'(THETA);
    always @(*) begin
        v_new = v_word;
        n_new = n_word;
        upd_pos = '0;
        upd_neg = '0;
        for (l = 0; l < LANES; l = l + 1) begin
            x_i = '0;
            if (m_bias_on) x_i = XB'($signed(b_word[l*BB +: BB]));
            if (IS_FIRST != 0) begin
                if (m_sleep) x_i = '0;
                else x_i = XB'($signed(CB'(XB'($signed(c_word[l*CB +: CB])) + x_i)));
            end
            m_v1 = MB'(XB'($signed(v_word[l*MB +: MB])) + x_i);
            x_v = XB'(m_v1);
            x_n = n_word[l*NB +: NB];
            x_v0 = XB'($signed(v0_word[l*MB +: MB]));
            sp = (x_v >= XTHETA);
            if (KIND == 2 && !(x_n < m_t_wake)) sp = 1'b0;
            sn = (SIGNED != 0) && (x_v < 0) && (x_n != '0);
            if ((uch * LANES + l) >= O) begin
                sp = 1'b0;
                sn = 1'b0;
            end
            x_v2 = sp ? x_v - XTHETA : (sn ? x_v + XTHETA : x_v);
            m_v2 = MB'(x_v2);
            x_n2 = sp ? x_n + 1'b1 : (sn ? x_n - 1'b1 : x_n);
            if (IS_OUT != 0) begin
                m_v2 = m_v1;
                sp = 1'b0;
                sn = 1'b0;
                if (m_last_presim) m_v2 = '0;
            end else if (m_last) begin
                m_v2 = MB'(x_v0);
                x_n2 = '0;
            end else if (m_last_presim) begin
                x_v2 = XB'(m_v2);
                m_v2 = MB'(x_v0 + ((x_v2 >= XTHETA) ? XTHETA : '0)
                           - (((x_v2 < 0) && (x_n2 != '0)) ? XTHETA : '0));
                x_n2 = '0;
            end
            v_new[l*MB +: MB] = m_v2;
            n_new[l*NB +: NB] = x_n2;
            upd_pos[l] = sp;
            upd_neg[l] = sn;
        end
    end

    // ------------------------------------------------------------------ banked target memory
    // Membranes (hidden and output stages) or currents (first stage), BANKS banks of BWORDS words.
    // Each bank has its own copy of the weight ROM, read at its tap's weights during the scatter.
    wire init_we = (state == S_INIT);
    wire upd_we = (state == S_UPD);
    wire [BANKS*LANES*TW-1:0] t_rd_all;
    wire [LANES*TW-1:0] acc_word;  // bank 0 (the output stage has one bank)
    genvar gb;
    generate
        for (gb = 0; gb < BANKS; gb = gb + 1) begin : g_bank
            reg [LANES*TW-1:0] mem [0:BWORDS-1];
            reg [LANES*WB-1:0] wrom [0:WDEPTH-1];
            initial $readmemh(W_FILE, wrom);
            /* verilator lint_off UNUSEDSIGNAL */
            wire [TE-1:0] e = tm[gb*TE +: TE];
            /* verilator lint_on UNUSEDSIGNAL */
            wire [WA-1:0] wab = (IS_DENSE != 0) ? wa : (WA'(e[TMB +: TWB]) + ocoff + WA'(ec));
            reg pv;
            reg [TMB-1:0] pa;
            reg [LANES*WB-1:0] wdata;
            always @(posedge clk) begin
                if (state == S_OPS) wdata <= wrom[wab];
            end
            always @(posedge clk) begin
                if (rst) begin
                    pv <= 1'b0;
                end else begin
                    pv <= (state == S_OPS) && evalid_map && ((IS_DENSE != 0) || e[TE-1]);
                    pa <= (IS_DENSE != 0) ? TMB'(oc) : (e[TMB-1:0] + TMB'(oc));
                end
            end
            wire [LANES*TW-1:0] s_old = mem[pa];
            reg [LANES*TW-1:0] s_new;
            reg signed [PB-1:0] prod;
            integer kl;
            always @(*) begin
                for (kl = 0; kl < LANES; kl = kl + 1) begin
                    if (IS_FIRST != 0)
                        prod = PB'($signed(wdata[kl*WB +: WB])) * PB'(pval);
                    else
                        prod = (pval < 0) ? -(PB'($signed(wdata[kl*WB +: WB])))
                                          : PB'($signed(wdata[kl*WB +: WB]));
                    prod = prod <<< WSH;
                    s_new[kl*TW +: TW] = s_old[kl*TW +: TW] + TW'(prod);
                end
            end
            wire here = (ubank == UBB'(gb));
            always @(posedge clk) begin
                if (init_we && here)
                    mem[uaddr] <= (IS_OUT != 0 || IS_FIRST != 0) ? '0 : (LANES*TW)'(v0_word);
                else if (upd_we && here && IS_FIRST == 0)
                    mem[uaddr] <= (LANES*TW)'(v_new);
                else if (upd_we && here && m_last)
                    mem[uaddr] <= '0;
                else if (pv)
                    mem[pa] <= s_new;
                else if (acc_clear && IS_OUT != 0 && IS_FIRST == 0 && gb == 0)
                    mem[TMB'(acc_addr)] <= '0;
            end
            assign t_rd_all[gb*LANES*TW +: LANES*TW] = mem[uaddr];
            if (gb == 0) begin : g_acc
                assign acc_word = mem[TMB'(acc_addr)];
            end
        end
    endgenerate
    wire [LANES*TW-1:0] t_word = t_rd_all[ubank*LANES*TW +: LANES*TW];
    generate
        if (IS_FIRST != 0) begin : g_vfirst
            // the first stage's membranes (or, when it is also the output stage, its accumulators)
            reg [LANES*MB-1:0] vmem [0:NWORDS-1];
            assign v_word = vmem[ua];
            assign c_word = (LANES*CB)'(t_word);
            assign acc_first = vmem[acc_addr];
            always @(posedge clk) begin
                if (init_we) vmem[ua] <= (IS_OUT != 0) ? '0 : v0_word;
                else if (upd_we) vmem[ua] <= v_new;
                else if (acc_clear && IS_OUT != 0) vmem[acc_addr] <= '0;
            end
        end else begin : g_vbank
            assign v_word = (LANES*MB)'(t_word);
            assign c_word = '0;
            assign acc_first = '0;
        end
    endgenerate

    // ------------------------------------------------------------------ memory write ports
    always @(posedge clk) begin
        if (init_we || (upd_we && m_last)) nmem[ua] <= '0;
        else if (upd_we) nmem[ua] <= n_new;
    end
    always @(posedge clk) begin
        if (upd_we && (|(upd_pos | upd_neg)))
            qmem[{wbank, wcount[QA-1:0]}] <= {POSB'(upos), CHB'(uch), upd_pos, upd_neg};
        q_rdata <= qmem[{q_rbank, q_raddr}];
    end
    assign acc_rdata = (IS_FIRST != 0) ? acc_first : (LANES*MB)'(acc_word);
endmodule
`default_nettype wire
