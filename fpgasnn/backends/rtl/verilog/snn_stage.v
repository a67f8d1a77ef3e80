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
    parameter integer WSEG_ROWS = 1024,  // rows per weight-ROM segment (one block RAM deep at 18 bits)
    parameter integer TDEPTH = 1,
    parameter integer TSEG_ROWS = 1024,  // rows per tap-map segment (one block RAM deep at its width)
    parameter integer PMB = 1,           // width of a position-map base
    parameter integer TMB = 1,           // width of an in-bank word address (tap map, update map)
    parameter integer TWB = 1,           // width of a tap-map weight base
    parameter integer QW = 1,            // width of a producer queue entry
    parameter integer QAB = 1,           // producer queue address width
    parameter integer P_LANES = 1,       // producer lanes (events from the queue)
    parameter integer UPAR = 1,          // words per cycle of the update pass: 1, or 2 (positions 2p
                                         // and 2p + 1 of a chunk, in two different banks)
    parameter integer P_CHB = 1,         // producer chunk index width
    parameter integer WREG = 0,          // 1 (the ECP5 build): a scatter's sum is registered before
                                         // it is written (S6; forwarding over three ops, one more
                                         // cycle a pass), the consumer's pass count before use
    parameter W_FILE = "w",              // weight ROM files: W_FILE followed by 000, 001, ... .mem
    parameter B_FILE = "b.mem",
    parameter V0_FILE = "v0.mem",
    parameter PMAP_FILE = "pmap.mem",
    parameter TMAP_FILE = "t",           // tap-map files: TMAP_FILE followed by 000, 001, ... .mem
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
    // first stage: pixel events (accepted in one cycle when zero, ops cycles otherwise)
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
    output wire [QE-1:0] q_rdata,
    output wire [QA:0] q_count,
    // debug: every word with spikes of the update pass
    output wire [NB-1:0] dbg_step,
    output reg  [15:0] dbg_img,
    output reg  [UPAR-1:0] dbg_we,       // per slot (UPAR words per cycle)
    output reg  [UPAR*QA-1:0] dbg_addr,
    output reg  [UPAR*LANES-1:0] dbg_pos,
    output reg  [UPAR*LANES-1:0] dbg_neg,
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
    localparam integer UL = UPAR * LANES;                 // neurons of one update cycle
    localparam integer NPP = (NPOS + UPAR - 1) / UPAR;    // position groups of an update pass
    localparam integer NJ = NPP * OCH;                    // cycles (rows) of an update pass
    localparam integer QJ = (NJ > 1) ? $clog2(NJ) : 1;
    localparam integer PPB = (NPP > 1) ? $clog2(NPP) : 1;
    localparam integer SIGNED = (KIND != 0) ? 1 : 0;
    localparam integer XB = ((MB > CB) ? MB : CB) + 34;   // wide enough for v + I and THETA
    localparam integer PB = (WB + VALB + WSH);            // product width
    localparam integer WA = (WDEPTH > 1) ? $clog2(WDEPTH) : 1;
    localparam integer TA = (TDEPTH > 1) ? $clog2(TDEPTH) : 1;
    localparam integer W_NSEG = (WDEPTH + WSEG_ROWS - 1) / WSEG_ROWS;  // weight-ROM segments
    localparam integer W_TWO = (IS_DENSE != 0 && W_NSEG > 4) ? 1 : 0;
    localparam integer KTB = (GROUPS > 1) ? $clog2(GROUPS) + 1 : 1;
    localparam integer TE = 1 + TWB + TMB;                // tap-map entry of one bank
    localparam integer UBB = (BANKS > 1) ? $clog2(BANKS) : 1;
    localparam integer TW = (IS_FIRST != 0) ? CB : MB;    // target words: currents (first) or membranes
    localparam integer PLB = (P_LANES > 1) ? $clog2(P_LANES) : 1;

    localparam integer WFD = 5;                           // word FIFO depth (queue words ahead)
    localparam integer EFD = 4;                           // event FIFO depth (spikes ahead)
    localparam integer WFE = PMB + 1 + IN_CB + 2 * P_LANES;  // word FIFO entry
    localparam integer EFE = PMB + 1 + IN_CB + 1;         // event FIFO entry {map entry, channel, neg}
    localparam integer WFA = $clog2(WFD);
    localparam integer EFA = $clog2(EFD);

    // RAMs are marked no_rw_check: no read ever needs a word written in the same cycle (update passes
    // visit each word once, scatter reads that miss the two writes ahead of them are forwarded, a
    // queue bank is read only once its step is written), so synthesis adds no bypass logic after
    // the block RAM outputs
    // ------------------------------------------------------------------ memories (except targets)
    (* no_rw_check *) reg [UL*NB-1:0] nmem [0:NJ-1];
    reg [LANES*BB-1:0] brom [0:OCH-1];
    reg [UL*MB-1:0] v0rom [0:NJ-1];
    reg [PMB:0] pmap [0:IN_NPOS-1];
    initial begin
        $readmemh(B_FILE, brom);
        $readmemh(PMAP_FILE, pmap);
        if (V0_PER != 0) $readmemh(V0_FILE, v0rom);
    end

    // ------------------------------------------------------------------ control
    // Every path from a register to the next is kept short (issue 14: timing is a design goal):
    //  scatter  F0 read the producer's queue -> F1 the word registered -> F2 its map entry
    //           registered out of the map (a ROM of its own: the queue's block RAM never drives its
    //           address) -> word FIFO -> picker
    //           (one spike per cycle) -> P1 its channel -> event FIFO -> S0 op counters -> S1 tap map
    //           segments read -> S1R each segment's entry registered -> S1Q the row's segment
    //           selected and registered, addresses -> S2 weights out of the ROM's
    //           segments -> S2Q each segment's word registered -> S3 the row's segment selected and
    //           registered: product, target read -> S4 target word registered out of the RAM ->
    //           S5 add (forwarded when one of the two ops before wrote the same word) and write;
    //  update   U0 addresses, reads -> U0Q read words registered out of the RAMs -> U1 v + I -> U2
    //           threshold compares -> U3 base + delta -> U4 writes, queue push.
    localparam [2:0] S_IDLE = 3'd0, S_INIT = 3'd1, S_SCAN = 3'd2, S_EVW = 3'd3, S_UPD = 3'd4;
    reg [2:0] state;
    reg [QA:0] wcnt;              // word counter of init / update passes
    reg [POSB-1:0] upos;
    reg [CHB-1:0] uch;
    reg s0_v, s1_v, s1r_v, s1q_v, s2_v, s2q_v, s3_v, s4_v, s5_v;  // scatter ops in flight
    // (the last stage's op, S5 or with WREG S6, is the flag before a cycle later: s_busy counts it)
    reg ua_v, u0q_v, u1_v, u2_v, u3_v, u4_v;   // update / init words in flight per stage
    // whether any op / word is in flight: registers holding exactly the OR of the flags above,
    // computed a cycle early from what the flags are about to become (s_busy_q, u_busy_q below),
    // so the sequencer does not wait on an OR of flags spread along both pipelines (the trained
    // demo SNN's critical path on ECP5: 9.5 ns of routing)
    reg s_busy, u_busy;
    wire pipe_idle = !s_busy && !u_busy;

    assign busy = (state != S_IDLE && state != S_EVW) || !pipe_idle || cmd_init;

    // ------------------------------------------------------------------ pipeline sequencer
    // Per image: (first stage) receive the pixels, or (others) scatter the producer's events of the
    // step; then the update pass of the step; the output stage waits for its scores to be sent before
    // the next image. A scatter of step j waits for the producer's update of step j; an update of step
    // j waits until the consumer has scattered step j - 2 (its queue bank is free again). A pass is
    // done when its pipeline has drained.
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
    wire quiet = pipe_idle && (state == S_IDLE || state == S_EVW);
    // (WREG, the ECP5 build: the consumer's count is registered here first; it only grows, so a
    // copy a cycle old only holds an update back a cycle. The wire between two stages' sequencers
    // was the trained demo SNN's critical path once the read-add-write had its register: 8.6 ns
    // of routing)
    reg [1:0] c_scat_q;
    always @(posedge clk) c_scat_q <= rst ? 2'd0 : c_scat;
    wire [1:0] ahead = n_upd - ((WREG != 0) ? c_scat_q : c_scat);
    wire can_sc = (p_upd != n_scat);
    wire can_up = (IS_OUT != 0) || (ahead <= 2'd1);
    wire cmd_scatter = pipe_idle && (state == S_IDLE) && ((seq == Q_RX0) || (seq == Q_SCW && can_sc));
    wire cmd_update = quiet && can_up && ((seq == Q_UPW) || (seq == Q_RX && rx_done));
    assign rx_ack = cmd_update && (seq == Q_RX);
    assign img_done = (seq == Q_TX);
    assign dbg_step = k;
    // the step's flags, registered: k changes when a pass is done, and the next pass reads them two
    // cycles later at the earliest
    reg m_bias_on, m_last, m_last_presim;
    reg [NB-1:0] m_t_wake;
    wire m_sleep = !m_bias_on;
    always @(posedge clk) begin
        m_bias_on <= (k < NB'(PRESIM + WAKE));
        m_last <= (k == NB'(TOTAL - 1));
        m_last_presim <= (PRESIM > 0) && (k == NB'(PRESIM - 1));
        m_t_wake <= (PRESIM > 0 && {1'b0, k} < (NB+1)'(PRESIM)) ? '0
                    : ((k >= NB'(PRESIM + WAKE)) ? NB'(WAKE) : k - NB'(PRESIM) + 1'b1);
    end
    wire pass_done = pipe_idle && (state == S_IDLE);
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

    // ------------------------------------------------------------------ scatter front end
    // (stages fed by a producer queue; the first stage takes pixel events from its ports instead)
    // F0: one queue word read per cycle while the word FIFO has room for it (words in flight
    // included); the read address is a register.
    reg [QAB:0] rptr;
    reg rd_v, f1_v, f2_v;
    reg [QW-1:0] f1_w;
    reg [2*P_LANES+P_CHB-1:0] f2_w;      // (the position has been looked up)
    reg [PMB:0] f2_pm;
    reg [2:0] fcnt;                      // words in the word FIFO
    reg [WFE-1:0] wf [0:WFD-1];          // word FIFO, head at 0
    reg [2:0] efcnt;                     // events in the event FIFO
    reg [EFE-1:0] ef [0:EFD-1];          // event FIFO, head at 0
    reg p1_v;
    reg [2*P_LANES-1:0] cw;              // the picker's word: {lanes with a spike not yet picked,
                                         // negative spikes}
    reg [PMB+IN_CB:0] cw_ctx;            // its {map entry, first channel}
    reg cur_has;                         // cw has a spike left
    wire [WFE-1:0] head = wf[0];
    wire fire = (IS_FIRST == 0) && (state == S_SCAN) && (cur_has || fcnt != 3'd0)
                && ({2'b0, p1_v} + efcnt <= 3'(EFD - 2));
    wire wpop = fire && !cur_has;
    // (the room is counted without the word the picker may take this cycle: the FIFO is one word
    // deeper than one read per cycle needs, so that the read does not wait for the picker's logic)
    wire [2:0] w_ahead = fcnt + {2'b0, rd_v} + {2'b0, f1_v} + {2'b0, f2_v};
    wire rd_issue = (IS_FIRST == 0) && (state == S_SCAN) && (rptr != pq_count)
                    && (w_ahead <= 3'(WFD - 1));
    assign pq_raddr = QAB'(rptr);
    // F1: the word read (registered); F2: its position's map entry (registered out of the map) and
    // the channel of its lane 0
    wire [IN_POSB-1:0] f1_pos = f1_w[QW-1:2*P_LANES+P_CHB];
    wire [P_CHB-1:0] f2_chunk = f2_w[2*P_LANES+P_CHB-1:2*P_LANES];
    wire [IN_CB-1:0] f2_cbase = IN_CB'(f2_chunk) * IN_CB'(P_LANES);
    wire [WFE-1:0] f2_entry = {f2_pm, f2_cbase, f2_w[2*P_LANES-1:P_LANES] | f2_w[P_LANES-1:0],
                               f2_w[P_LANES-1:0]};
    // picker: the lowest lane with a spike (one-hot, x & -x: a carry chain), of the current word or
    // (when it has none left) of the FIFO's head word; whether a second one is left comes from a
    // tree beside it (heap layout: node k has children 2k and 2k + 1), not from the cleared word
    wire [2*P_LANES-1:0] src = cur_has ? cw : head[2*P_LANES-1:0];
    wire [PMB+IN_CB:0] src_ctx = cur_has ? cw_ctx : head[WFE-1:2*P_LANES];
    wire [P_LANES-1:0] q_any = src[2*P_LANES-1:P_LANES];
    wire [P_LANES-1:0] onehot = q_any & (~q_any + 1'b1);
    localparam integer PN = 1 << PLB;
    /* verilator lint_off UNUSEDSIGNAL */  // (node 0 unused; the root's any bit is not needed)
    wire [2*PN-1:0] hv, hm;              // any / at least two spikes below the node
    /* verilator lint_on UNUSEDSIGNAL */
    genvar gk;
    generate
        for (gk = PN; gk < 2 * PN; gk = gk + 1) begin : g_leaf
            assign hv[gk] = (gk - PN < P_LANES) ? q_any[(gk - PN) % P_LANES] : 1'b0;
            assign hm[gk] = 1'b0;
        end
        for (gk = 1; gk < PN; gk = gk + 1) begin : g_node
            assign hv[gk] = hv[2*gk] | hv[2*gk+1];
            assign hm[gk] = hm[2*gk] | hm[2*gk+1] | (hv[2*gk] & hv[2*gk+1]);
        end
        assign hv[0] = 1'b0;
        assign hm[0] = 1'b0;
    endgenerate
    wire more = (P_LANES > 1) ? hm[1] : 1'b0;
    reg [P_LANES-1:0] p1_onehot, p1_nmask;
    reg [PMB+IN_CB:0] p1_ctx;
    // P1: the spike's lane (an encoder of the one-hot), channel and sign, into the event FIFO
    reg [PLB-1:0] p1_lane;
    integer pl;
    always @(*) begin
        p1_lane = '0;
        for (pl = 0; pl < P_LANES; pl = pl + 1)
            if (p1_onehot[pl]) p1_lane = p1_lane | PLB'(pl);
    end
    wire p1_neg = |(p1_onehot & p1_nmask);
    wire [IN_CB-1:0] p1_c = p1_ctx[IN_CB-1:0] + IN_CB'(p1_lane);
    wire [EFE-1:0] p1_entry = {p1_ctx[PMB+IN_CB:IN_CB], p1_c, p1_neg};

    // ------------------------------------------------------------------ S0: op counters
    reg [KTB-1:0] t;
    reg [CHB-1:0] oc;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [PMB:0] e_pm;             // the event's map entry {valid, base} (dense stages: base only)
    /* verilator lint_on UNUSEDSIGNAL */
    reg signed [VALB-1:0] e_val;
    reg [IN_CB-1:0] e_c;
    reg [WA-1:0] wa;              // dense: running weight address
    reg [TA-1:0] tix;             // conv: running tap-map row (the event's base + its tap group)
    reg [WA-1:0] ocoff;           // conv: chunk * IN_C
    wire s0_last = (oc == CHB'(OCH - 1)) && (IS_DENSE != 0 || t == KTB'(GROUPS - 1));
    wire s0_free = !s0_v || s0_last;
    wire epop = (IS_FIRST == 0) && (state == S_SCAN) && s0_free && (efcnt != 3'd0);
    // first stage: a pixel is taken in the cycle the previous one's last op leaves S0
    assign ev_ready = (state == S_EVW) && s0_free;
    wire px_load = (IS_FIRST != 0) && ev_ready && ev_valid && (ev_val != '0);
    always @(posedge clk) begin
        // s0_v becomes epop || px_load || (s0_v && !s0_last); each later flag takes the one before
        if (rst) s_busy <= 1'b0;
        else s_busy <= epop || px_load || s0_v || s1_v || s1r_v || s1q_v || s2_v || s2q_v || s3_v
                       || s4_v || (WREG != 0 && s5_v);
    end
    wire [EFE-1:0] ehead = ef[0];
    wire [PMB:0] ld_pm = (IS_FIRST != 0) ? pmap[ev_pos] : ehead[EFE-1:IN_CB+1];
    wire [IN_CB-1:0] ld_c = (IS_FIRST != 0) ? ev_c : ehead[IN_CB:1];
    wire signed [VALB-1:0] ld_val = (IS_FIRST != 0) ? ev_val : (ehead[0] ? -(VALB'(1)) : VALB'(1));
    wire front_empty = (rptr == pq_count) && !rd_v && !f1_v && !f2_v && (fcnt == 3'd0) && !cur_has
                       && !p1_v
                       && (efcnt == 3'd0);

    // F1's word: a plain register (no reset, no enable; only f1_v says whether it holds a word), so
    // that it folds into the output register of the producer's queue block RAM on ECP5
    // (fpgasnn.pnr.ebr_outreg): the block RAM's clock-to-out and the routing between the two
    // stages were the trained demo SNN's critical path once the read-add-write had its register
    always @(posedge clk) f1_w <= pq_rdata;
    integer fi;
    always @(posedge clk) begin
        if (rst) begin
            state <= S_IDLE;
            qc0 <= '0;
            qc1 <= '0;
            s0_v <= 1'b0;
            rd_v <= 1'b0;
            f1_v <= 1'b0;
            f2_v <= 1'b0;
            p1_v <= 1'b0;
            fcnt <= '0;
            efcnt <= '0;
            cur_has <= 1'b0;
            rptr <= '0;
        end else begin
            // ---- sequencing of passes
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
                        state <= (IS_FIRST != 0) ? S_EVW : S_SCAN;
                    end else if (cmd_update) begin
                        state <= S_UPD;
                        if (wbank) qc1 <= '0; else qc0 <= '0;
                    end
                end
                S_INIT, S_UPD: begin
                    wcnt <= wcnt + 1'b1;
                    if (uch == CHB'(OCH - 1)) begin
                        uch <= '0;
                        upos <= upos + 1'b1;
                    end else begin
                        uch <= uch + 1'b1;
                    end
                    if (wcnt == (QA+1)'(NJ - 1)) state <= S_IDLE;
                end
                S_EVW: begin  // first stage: pixel events until the image is in
                    if (cmd_update) begin
                        state <= S_UPD;
                        if (wbank) qc1 <= '0; else qc0 <= '0;
                    end
                end
                S_SCAN: if (front_empty) state <= S_IDLE;
                default: state <= S_IDLE;
            endcase
            // ---- F0 / F1 / F2 / word FIFO
            rd_v <= rd_issue;
            if (rd_issue) rptr <= rptr + 1'b1;
            f1_v <= rd_v;
            f2_v <= f1_v;
            f2_w <= f1_w[2*P_LANES+P_CHB-1:0];
            f2_pm <= pmap[f1_pos];
            if (wpop) for (fi = 0; fi < WFD - 1; fi = fi + 1) wf[fi] <= wf[fi + 1];
            if (f2_v) wf[WFA'(fcnt - 3'(wpop))] <= f2_entry;
            fcnt <= fcnt - 3'(wpop) + 3'(f2_v);
            // ---- picker -> P1 -> event FIFO
            p1_v <= fire;
            if (fire) begin
                cw <= {q_any & ~onehot, src[P_LANES-1:0]};
                cur_has <= more;
                cw_ctx <= src_ctx;
                p1_onehot <= onehot;
                p1_nmask <= src[P_LANES-1:0];
                p1_ctx <= src_ctx;
            end
            if (epop) for (fi = 0; fi < EFD - 1; fi = fi + 1) ef[fi] <= ef[fi + 1];
            if (p1_v) ef[EFA'(efcnt - 3'(epop))] <= p1_entry;
            efcnt <= efcnt - 3'(epop) + 3'(p1_v);
            // ---- S0: one op (tap group x chunk) of an event per cycle
            if (epop || px_load) begin
                s0_v <= 1'b1;
                e_pm <= ld_pm;
                e_c <= ld_c;
                e_val <= ld_val;
                wa <= WA'(ld_pm[PMB-1:0]) + WA'(ld_c);
                tix <= TA'(ld_pm[PMB-1:0]);
                t <= '0;
                oc <= '0;
                ocoff <= '0;
            end else if (s0_v && !s0_last) begin
                wa <= wa + WA'(RROWS);
                if (oc == CHB'(OCH - 1)) begin
                    oc <= '0;
                    ocoff <= '0;
                    t <= t + 1'b1;
                    tix <= tix + 1'b1;
                end else begin
                    oc <= oc + 1'b1;
                    ocoff <= ocoff + WA'(IN_C);
                end
            end else begin
                s0_v <= 1'b0;
            end
            // ---- the update pipeline's queue pushes
            if (u4_v && u4_any && IS_OUT == 0) begin
                if (wbank) qc1 <= qc1 + (QA+1)'(u4_npush); else qc0 <= qc0 + (QA+1)'(u4_npush);
            end
        end
    end

    // ------------------------------------------------------------------ S1: tap map
    // S1: the row read out of its segment; S1R: every segment's entry registered beside its block
    // RAM; S1Q: the row's segment selected into a register (no block RAM output runs through the
    // depth multiplexer, and the weight address adds to a register)
    wire [BANKS*TE-1:0] tmq;
    generate
        if (IS_DENSE == 0) begin : g_tmap
            // (a register as the address: no adder ahead of the map)
            snn_seg_rom #(
                .DEPTH(TDEPTH), .SEG_ROWS(TSEG_ROWS), .W(BANKS*TE), .AB(TA), .FILE(TMAP_FILE)
            ) u_tmap (.clk(clk), .addr(tix), .q(tmq));
        end else begin : g_notmap
            assign tmq = '0;
        end
    endgenerate
    reg [CHB-1:0] s1_oc, s1r_oc, s1q_oc;
    reg [WA-1:0] s1_occ, s1_wa, s1r_occ, s1r_wa, s1q_occ, s1q_wa;
    reg s1_mv, s1r_mv, s1q_mv;
    reg signed [VALB-1:0] s1_val, s1r_val, s1q_val;
    always @(posedge clk) begin
        s1_oc <= oc;
        s1_occ <= ocoff + WA'(e_c);
        s1_wa <= wa;
        s1_mv <= e_pm[PMB];
        s1_val <= e_val;
        s1r_oc <= s1_oc;
        s1r_occ <= s1_occ;
        s1r_wa <= s1_wa;
        s1r_mv <= s1_mv;
        s1r_val <= s1_val;
        s1q_oc <= s1r_oc;
        s1q_occ <= s1r_occ;
        s1q_wa <= s1r_wa;
        s1q_mv <= s1r_mv;
        s1q_val <= s1r_val;
    end
    // S2 / S3 registers shared by the banks
    reg signed [VALB-1:0] s2_val, s2q_val, s3_val;
    always @(posedge clk) begin
        if (rst) begin
            s1_v <= 1'b0;
            s1r_v <= 1'b0;
            s1q_v <= 1'b0;
            s2_v <= 1'b0;
            s2q_v <= 1'b0;
            s3_v <= 1'b0;
            s4_v <= 1'b0;
            s5_v <= 1'b0;
        end else begin
            s1_v <= s0_v;
            s1r_v <= s1_v;
            s1q_v <= s1r_v;
            s2_v <= s1q_v;
            s2q_v <= s2_v;
            s3_v <= s2q_v;
            s4_v <= s3_v;
            s5_v <= s4_v;
        end
        s2_val <= s1q_val;
        s2q_val <= s2_val;
        s3_val <= s2q_val;
    end

    // ------------------------------------------------------------------ update pipeline
    // UPAR words per cycle: slot s holds position UPAR*p + s of chunk uch (p: the pass's position
    // group), every slot in a bank of its own (the lowering checks it). The count, v0 and
    // first-stage membrane memories keep the UPAR words of a cycle side by side in row j = p*OCH +
    // uch. UA: the slots' banks and in-bank addresses registered out of the update map; U0: the
    // target, count, bias and v0 memories are read
    wire [UPAR*UBB-1:0] ubank;
    wire [UPAR*TMB-1:0] uaddr;
    wire [UPAR-1:0] uval;                // the slot's position exists (the last group may be short)
    genvar us;
    generate
        if (BANKS > 1) begin : g_umap
            reg [UPAR*(UBB+TMB)-1:0] umap [0:NPP-1];
            initial $readmemh(UMAP_FILE, umap);
            wire [UPAR*(UBB+TMB)-1:0] um = umap[PPB'(upos)];
            for (us = 0; us < UPAR; us = us + 1) begin : g_uslot
                assign ubank[us*UBB +: UBB] = um[us*(UBB+TMB)+TMB +: UBB];
                assign uaddr[us*TMB +: TMB] = um[us*(UBB+TMB) +: TMB] + TMB'(uch);
            end
        end else begin : g_nomap
            assign ubank = '0;
            assign uaddr = (UPAR*TMB)'(TMB'(wcnt));
        end
        for (us = 0; us < UPAR; us = us + 1) begin : g_uval
            // (UPAR is 1 or 2: times UPAR is a shift, no multiplier)
            assign uval[us] = (({1'b0, upos} << (UPAR - 1)) + (POSB+1)'(us)) < (POSB+1)'(NPOS);
        end
    endgenerate
    wire u0_v = (state == S_UPD) || (state == S_INIT);
    always @(posedge clk) begin
        // ua_v becomes u0_v; each later flag takes the one before
        if (rst) u_busy <= 1'b0;
        else u_busy <= u0_v || ua_v || u0q_v || u1_v || u2_v || u3_v;
    end
    reg ua_init, u0q_init, u1_init, u2_init, u3_init, u4_init;
    reg [UPAR*UBB-1:0] ua_bank, u0q_bank, u1_bank, u2_bank, u3_bank;
    reg [UPAR*TMB-1:0] ua_addr, u0q_addr, u1_addr, u2_addr, u3_addr, u4_addr;
    reg [UPAR-1:0] ua_val, u0q_val, u1_val, u2_val, u3_val;
    reg [QJ-1:0] ua_j, u0q_j, u1_j, u2_j, u3_j, u4_j;
    reg [POSB-1:0] ua_pos, u0q_pos, u1_pos, u2_pos, u3_pos;
    reg [CHB-1:0] ua_ch, u0q_ch, u1_ch, u2_ch, u3_ch, u4_uch;
    reg [UL*NB-1:0] u0q_n, u1_n;
    reg [LANES*BB-1:0] u0q_b, u1_b;
    reg [UL*MB-1:0] u0q_v0, u1_v0;
    always @(posedge clk) begin
        if (rst) begin
            ua_v <= 1'b0;
            u0q_v <= 1'b0;
            u1_v <= 1'b0;
            u2_v <= 1'b0;
            u3_v <= 1'b0;
            u4_v <= 1'b0;
        end else begin
            ua_v <= u0_v;
            u0q_v <= ua_v;
            u1_v <= u0q_v;
            u2_v <= u1_v;
            u3_v <= u2_v;
            u4_v <= u3_v;
        end
        ua_init <= (state == S_INIT);
        u0q_init <= ua_init;
        u1_init <= u0q_init;
        u2_init <= u1_init;
        u3_init <= u2_init;
        u4_init <= u3_init;
        ua_bank <= ubank;
        u0q_bank <= ua_bank;
        u1_bank <= u0q_bank;
        u2_bank <= u1_bank;
        u3_bank <= u2_bank;
        ua_addr <= uaddr;
        u0q_addr <= ua_addr;
        u1_addr <= u0q_addr;
        u2_addr <= u1_addr;
        u3_addr <= u2_addr;
        u4_addr <= u3_addr;
        ua_val <= uval;
        u0q_val <= ua_val;
        u1_val <= u0q_val;
        u2_val <= u1_val;
        u3_val <= u2_val;
        ua_j <= QJ'(wcnt);
        u0q_j <= ua_j;
        u1_j <= u0q_j;
        u2_j <= u1_j;
        u3_j <= u2_j;
        u4_j <= u3_j;
        ua_pos <= upos;
        u0q_pos <= ua_pos;
        u1_pos <= u0q_pos;
        u2_pos <= u1_pos;
        u3_pos <= u2_pos;
        ua_ch <= uch;
        u0q_ch <= ua_ch;
        u1_ch <= u0q_ch;
        u2_ch <= u1_ch;
        u3_ch <= u2_ch;
        u4_uch <= u3_ch;
        u0q_n <= nmem[ua_j];
        u0q_b <= brom[ua_ch];
        u0q_v0 <= (V0_PER != 0) ? v0rom[ua_j] : {UL{MB'(V0)}};
        u1_n <= u0q_n;
        u1_b <= u0q_b;
        u1_v0 <= u0q_v0;
    end

    // U1: v + I. Other stages: I = the bias while it is on. First stage: I = the current while awake
    // (bias_on = !sleep there); its current words start every image at the bias (the update pass
    // writes the bias word where it clears them), so that the sum is a single addition
    wire [BANKS*LANES*TW-1:0] t_rd_all;  // every bank's read port
    wire [UL*TW-1:0] t_word;             // each slot's word, out of its bank
    generate
        for (us = 0; us < UPAR; us = us + 1) begin : g_tword
            assign t_word[us*LANES*TW +: LANES*TW] =
                t_rd_all[u1_bank[us*UBB +: UBB]*LANES*TW +: LANES*TW];
        end
    endgenerate
    wire [UL*MB-1:0] v_word;
    wire [UL*CB-1:0] c_word;
    reg [UL*MB-1:0] u2_v1, u2_v0;
    reg [UL*NB-1:0] u2_n;
    reg [UL*MB-1:0] u1_sum;
    reg signed [XB-1:0] x_i;
    integer l;
    always @(*) begin
        for (l = 0; l < UL; l = l + 1) begin
            if (IS_FIRST != 0) x_i = m_sleep ? '0 : XB'($signed(c_word[l*CB +: CB]));
            else x_i = m_bias_on ? XB'($signed(u1_b[(l % LANES)*BB +: BB])) : '0;
            u1_sum[l*MB +: MB] = MB'(XB'($signed(v_word[l*MB +: MB])) + x_i);
        end
    end
    always @(posedge clk) begin
        u2_v1 <= u1_sum;
        u2_n <= u1_n;
        u2_v0 <= u1_v0;
    end

    // U2: the threshold decisions. Only flags go on: the corrected membrane is v - s*THETA, one
    // addition in U3. For the last presim step the flags of the corrected membrane v' are decided
    // here too, from v: v' >= THETA is v >= 2*THETA after a positive spike, v >= THETA without one
    // (a negative spike leaves v' < 0); v' < 0 and N' > 0 is v < -THETA and N > 1 after a negative
    // spike, v < 0 and N > 0 without one (a positive spike leaves v' >= 0).
    localparam signed [XB-1:0] XTHETA = XB'(THETA);
    reg [UL-1:0] u3_sp, u3_sn, u3_pp, u3_pm;
    reg [UL*MB-1:0] u3_v1, u3_v0;
    reg [UL*NB-1:0] u3_n;
    reg [UL-1:0] c_sp, c_sn, c_pp, c_pm;
    reg signed [XB-1:0] x_v;
    reg [NB-1:0] x_n;
    reg sp, sn;
    always @(*) begin
        for (l = 0; l < UL; l = l + 1) begin
            x_v = XB'($signed(u2_v1[l*MB +: MB]));
            x_n = u2_n[l*NB +: NB];
            sp = (x_v >= XTHETA);
            if (KIND == 2 && !(x_n < m_t_wake)) sp = 1'b0;
            sn = (SIGNED != 0) && (x_v < 0) && (x_n != '0);
            if ((u2_ch * LANES + l % LANES) >= O || !u2_val[l / LANES] || IS_OUT != 0) begin
                sp = 1'b0;
                sn = 1'b0;
            end
            c_sp[l] = sp;
            c_sn[l] = sn;
            c_pp[l] = (PRESIM > 0) && (sp ? (x_v >= 2 * XTHETA) : (!sn && x_v >= XTHETA));
            c_pm[l] = (PRESIM > 0) && !sp && (sn ? (x_v < -XTHETA && x_n != NB'(1))
                                                 : (x_v < 0 && x_n != '0));
        end
    end
    always @(posedge clk) begin
        u3_sp <= c_sp;
        u3_sn <= c_sn;
        u3_pp <= c_pp;
        u3_pm <= c_pm;
        u3_v1 <= u2_v1;
        u3_n <= u2_n;
        u3_v0 <= u2_v0;
    end

    // U3: the new membrane and count: base + delta, one addition (v -= s*THETA, N += s; after the
    // last step v <- v0, N <- 0; the last presim step keeps one threshold of the sign of the
    // residue: v0 + THETA*[v' >= THETA] - THETA*[v' < 0 and N' > 0], N <- 0)
    reg [UL*MB-1:0] u4_mem;
    reg [UL*NB-1:0] u4_n;
    reg [UL-1:0] u4_pos, u4_neg;
    reg [UPAR-1:0] u4_anys;              // a spike in the slot's word (its queue push)
    reg [UPAR*POSB-1:0] u4_spos;         // the slot's position
    reg [UPAR*QA-1:0] u4_waddr;          // the slot's word address (position * OCH + chunk)
    reg [UL*MB-1:0] c_mem;
    reg [UL*NB-1:0] c_n;
    reg signed [XB-1:0] y_base, y_d;
    reg [NB-1:0] y_n;
    always @(*) begin
        for (l = 0; l < UL; l = l + 1) begin
            y_base = XB'($signed(u3_v1[l*MB +: MB]));
            y_d = u3_sp[l] ? -XTHETA : (u3_sn[l] ? XTHETA : '0);
            y_n = u3_n[l*NB +: NB] + (u3_sp[l] ? NB'(1) : (u3_sn[l] ? {NB{1'b1}} : '0));
            if (u3_init || m_last || (m_last_presim && IS_OUT == 0)) begin
                y_base = (IS_OUT != 0) ? '0 : XB'($signed(u3_v0[l*MB +: MB]));
                y_d = (m_last_presim && !m_last && !u3_init)
                    ? (u3_pp[l] ? XTHETA : (u3_pm[l] ? -XTHETA : '0)) : '0;
                y_n = '0;
            end
            if (IS_OUT != 0 && !u3_init) begin
                y_base = m_last_presim ? '0 : XB'($signed(u3_v1[l*MB +: MB]));
                y_d = '0;
            end
            c_mem[l*MB +: MB] = MB'(y_base + y_d);
            c_n[l*NB +: NB] = y_n;
        end
    end
    always @(posedge clk) begin
        u4_mem <= c_mem;
        u4_n <= c_n;
        u4_pos <= u3_init ? '0 : u3_sp;
        u4_neg <= u3_init ? '0 : u3_sn;
    end
    generate
        for (us = 0; us < UPAR; us = us + 1) begin : g_u4slot
            /* verilator lint_off UNUSEDSIGNAL */  // (the top bit only holds the sum)
            wire [POSB:0] spos = ({1'b0, u3_pos} << (UPAR - 1)) + (POSB+1)'(us);
            /* verilator lint_on UNUSEDSIGNAL */
            always @(posedge clk) begin
                u4_anys[us] <= !u3_init && (|(u3_sp[us*LANES +: LANES] | u3_sn[us*LANES +: LANES]));
                u4_spos[us*POSB +: POSB] <= POSB'(spos);
                u4_waddr[us*QA +: QA] <= (UPAR == 1) ? QA'(u3_j)
                                                     : QA'((QA'(u3_j) << 1) - QA'(u3_ch)
                                                           + QA'(us * OCH));
            end
        end
    endgenerate
    wire u4_any = |u4_anys;
    wire [1:0] u4_npush = {1'b0, u4_anys[0]} + ((UPAR > 1) ? {1'b0, u4_anys[UPAR-1]} : 2'd0);

    // U4: writes (target bank, counts, first-stage membranes) and the queue push. The first stage
    // writes its current words back to the bias (read again here, at the word's chunk) after the
    // last step and at init.
    wire [LANES*CB-1:0] u4_bias;
    genvar gl;
    generate
        if (IS_FIRST != 0) begin : g_bias
            reg [LANES*BB-1:0] u4_b;
            always @(posedge clk) u4_b <= brom[u3_ch];
            for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
                assign u4_bias[gl*CB +: CB] = CB'($signed(u4_b[gl*BB +: BB]));
            end
        end else begin : g_nobias
            assign u4_bias = '0;             // (only the first stage writes currents)
        end
    endgenerate
    always @(posedge clk) begin
        if (u4_v) nmem[u4_j] <= u4_n;
    end
    // the event queue: two banks (steps of even / odd index); with two slots each bank is split in
    // halves by the parity of the word's queue index, so that the two words of a cycle are written
    // to different halves (the consumer reads both halves and takes the one of its index)
    wire [QE-1:0] q_e0 = {u4_spos[0 +: POSB], u4_uch, u4_pos[0 +: LANES], u4_neg[0 +: LANES]};
    generate
        if (UPAR == 1) begin : g_q1
            (* no_rw_check *) reg [QE-1:0] qmem [0:(2 << QA)-1];
            reg [QE-1:0] q_rd;
            always @(posedge clk) begin
                if (u4_v && u4_any && IS_OUT == 0) qmem[{wbank, wcount[QA-1:0]}] <= q_e0;
                q_rd <= qmem[{q_rbank, q_raddr}];
            end
            assign q_rdata = q_rd;
        end else begin : g_q2
            (* no_rw_check *) reg [QE-1:0] qh0 [0:(1 << QA)-1];
            (* no_rw_check *) reg [QE-1:0] qh1 [0:(1 << QA)-1];
            reg [QE-1:0] qd0, qd1;
            reg qsel;
            wire [QE-1:0] q_e1 = {u4_spos[(UPAR-1)*POSB +: POSB], u4_uch,
                                  u4_pos[(UPAR-1)*LANES +: LANES], u4_neg[(UPAR-1)*LANES +: LANES]};
            wire [QA-1:0] qi0 = wcount[QA-1:0];                      // slot 0's index (if pushed)
            wire [QA-1:0] qi1 = wcount[QA-1:0] + QA'(u4_anys[0]);    // slot 1's
            wire h0_0 = u4_anys[0] && !qi0[0];                       // half 0 takes slot 0
            wire h0_1 = u4_anys[UPAR-1] && !qi1[0];                  // ... or slot 1
            wire h1_0 = u4_anys[0] && qi0[0];
            wire h1_1 = u4_anys[UPAR-1] && qi1[0];
            always @(posedge clk) begin
                if (u4_v && (h0_0 || h0_1))
                    qh0[{wbank, (h0_0 ? qi0[QA-1:1] : qi1[QA-1:1])}] <= h0_0 ? q_e0 : q_e1;
                if (u4_v && (h1_0 || h1_1))
                    qh1[{wbank, (h1_0 ? qi0[QA-1:1] : qi1[QA-1:1])}] <= h1_0 ? q_e0 : q_e1;
                qd0 <= qh0[{q_rbank, q_raddr[QA-1:1]}];
                qd1 <= qh1[{q_rbank, q_raddr[QA-1:1]}];
                qsel <= q_raddr[0];
            end
            assign q_rdata = qsel ? qd1 : qd0;
        end
    endgenerate
    always @(posedge clk) begin
        if (rst) begin
            dbg_we <= '0;
        end else begin
            dbg_we <= (u4_v && IS_OUT == 0) ? u4_anys : '0;
        end
        dbg_addr <= u4_waddr;
        dbg_pos <= u4_pos;
        dbg_neg <= u4_neg;
    end

    // ------------------------------------------------------------------ banked target memory
    // Membranes (hidden and output stages) or currents (first stage), BANKS banks of BWORDS words,
    // one read port (U0 or S3) and one write port (U4, S5 -- S6 with WREG -- or the TX clear). Each bank has its own
    // copy of the weight ROM, read at its tap's weights during the scatter.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [LANES*TW-1:0] acc_word;  // bank 0 (the output stage has one bank; read by the TX only)
    /* verilator lint_on UNUSEDSIGNAL */
    genvar gb;
    generate
        for (gb = 0; gb < BANKS; gb = gb + 1) begin : g_bank
            (* no_rw_check *) reg [LANES*TW-1:0] mem [0:BWORDS-1];
            /* verilator lint_off UNUSEDSIGNAL */
            wire [TE-1:0] e = tmq[gb*TE +: TE];
            /* verilator lint_on UNUSEDSIGNAL */
            // S1Q -> S2: the tap's weight address and target word; S2: the row out of its
            // segment's ROM; S2Q: every segment's word registered beside its block RAM; S3: the row's
            // segment selected into a register (so neither a block RAM output nor the multiplier's
            // input runs through the depth multiplexer)
            // (a dense layer's weight address is a counter, ready at S1R: a ROM of more than
            // four segments reads from there with its select in two registered levels)
            wire [WA-1:0] wab = (IS_DENSE == 0) ? (WA'(e[TMB +: TWB]) + s1q_occ)
                                : ((W_TWO != 0) ? s1r_wa : s1q_wa);
            wire [TMB-1:0] pa = (IS_DENSE != 0) ? TMB'(s1q_oc) : (e[TMB-1:0] + TMB'(s1q_oc));
            reg pv2, pv2q, pv3, pv4, pv5, pv6, pv7;
            reg [TMB-1:0] pa2, pa2q, pa3, pa4, pa5, pa6, pa7;
            wire [LANES*WB-1:0] wq;
            reg [LANES*TW-1:0] rd, rdq;
            snn_seg_rom #(
                .DEPTH(WDEPTH), .SEG_ROWS(WSEG_ROWS), .W(LANES*WB), .AB(WA), .TWO_LEVEL(W_TWO),
                .FILE(W_FILE)
            ) u_wrom (.clk(clk), .addr(wab), .q(wq));
            always @(posedge clk) begin
                pa2 <= pa;
                pa2q <= pa2;
                pa3 <= pa2q;
                pa4 <= pa3;
                pa5 <= pa4;
                pa6 <= pa5;
                pa7 <= pa6;
                if (rst) begin
                    pv2 <= 1'b0;
                    pv2q <= 1'b0;
                    pv3 <= 1'b0;
                    pv4 <= 1'b0;
                    pv5 <= 1'b0;
                    pv6 <= 1'b0;
                    pv7 <= 1'b0;
                end else begin
                    pv2 <= s1q_v && s1q_mv && ((IS_DENSE != 0) || e[TE-1]);
                    pv2q <= pv2;
                    pv3 <= pv2q;
                    pv4 <= pv3;
                    pv5 <= pv4;
                    pv6 <= pv5;
                    pv7 <= pv6;
                end
            end
            // S3 -> S4 -> S5: the weight times the event's value; the target word is read
            reg [LANES*TW-1:0] prod4, prod5, c_prod;
            reg signed [PB-1:0] prod;
            integer kl;
            always @(*) begin
                for (kl = 0; kl < LANES; kl = kl + 1) begin
                    if (IS_FIRST != 0)
                        prod = PB'($signed(wq[kl*WB +: WB])) * PB'(s3_val);
                    else
                        prod = (s3_val < 0) ? -(PB'($signed(wq[kl*WB +: WB])))
                                            : PB'($signed(wq[kl*WB +: WB]));
                    prod = prod <<< WSH;
                    c_prod[kl*TW +: TW] = TW'(prod);
                end
            end
            always @(posedge clk) begin
                prod4 <= c_prod;
                prod5 <= prod4;
            end
            // S5: the target word read at S3 (or, when one of the ops before wrote the same word
            // after that read, its sum; the newest first) + the product, written back at S5 (or,
            // with WREG, from its register at S6: then the read missed three ops, not two).
            // Whether the ops before wrote the same word is compared a stage early (S4 against
            // S5, S6 and S7); each lane registers the answer itself (snn_fwd_lane), so no one
            // select register drives every lane's multiplexer.
            wire hit6_d = !rst && pv5 && (pa5 == pa4);
            wire hit7_d = !rst && pv6 && (pa6 == pa4);
            wire hit8_d = (WREG != 0) && !rst && pv7 && (pa7 == pa4);
            /* verilator lint_off UNUSEDSIGNAL */  // (one of the two is written)
            wire [LANES*TW-1:0] s_new, s_reg;
            /* verilator lint_on UNUSEDSIGNAL */
            genvar gf;
            for (gf = 0; gf < LANES; gf = gf + 1) begin : g_fwd
                snn_fwd_lane #(.W(TW), .DEPTH((WREG != 0) ? 3 : 2)) u_fwd (
                    .clk(clk), .hit6_d(hit6_d), .hit7_d(hit7_d), .hit8_d(hit8_d),
                    .rdq(rdq[gf*TW +: TW]), .prod(prod5[gf*TW +: TW]),
                    .s_new(s_new[gf*TW +: TW]), .s_reg(s_reg[gf*TW +: TW])
                );
            end
            wire pvw = (WREG != 0) ? pv6 : pv5;   // the scatter op writing now
            wire [TMB-1:0] paw = (WREG != 0) ? pa6 : pa5;
            wire [LANES*TW-1:0] s_wd = (WREG != 0) ? s_reg : s_new;
            // the update's slot in this bank, if any: its read address registered at UA, whether it
            // writes here (and which slot) registered at U3
            reg [TMB-1:0] ua_baddr;
            reg u4_h, u4_h1;
            wire [UPAR-1:0] u3_hit;
            for (us = 0; us < UPAR; us = us + 1) begin : g_hit
                assign u3_hit[us] = u3_val[us] && (u3_bank[us*UBB +: UBB] == UBB'(gb));
            end
            always @(posedge clk) begin
                ua_baddr <= (UPAR > 1 && uval[UPAR-1] && ubank[(UPAR-1)*UBB +: UBB] == UBB'(gb))
                            ? uaddr[(UPAR-1)*TMB +: TMB] : uaddr[0 +: TMB];
                u4_h <= |u3_hit;
                u4_h1 <= (UPAR > 1) && u3_hit[UPAR-1];
            end
            wire [TMB-1:0] u_wa = u4_h1 ? u4_addr[(UPAR-1)*TMB +: TMB] : u4_addr[0 +: TMB];
            /* verilator lint_off UNUSEDSIGNAL */  // (the first stage writes currents, not these)
            wire [LANES*MB-1:0] u_mem = u4_h1 ? u4_mem[(UPAR-1)*LANES*MB +: LANES*MB]
                                              : u4_mem[0 +: LANES*MB];
            /* verilator lint_on UNUSEDSIGNAL */
            // the one write port
            wire u_here = u4_v && u4_h;
            wire u_we = u_here && ((IS_FIRST == 0) || u4_init || m_last);
            wire [LANES*TW-1:0] u_data = (IS_FIRST != 0) ? (LANES*TW)'(u4_bias)
                                         : ((IS_OUT != 0 && u4_init) ? '0 : (LANES*TW)'(u_mem));
            wire clr = acc_clear && IS_OUT != 0 && IS_FIRST == 0 && gb == 0;
            wire m_we = u_we || pvw || clr;
            wire [TMB-1:0] m_wa = u_we ? u_wa : (pvw ? paw : TMB'(acc_addr));
            wire [LANES*TW-1:0] m_wd = u_we ? u_data : (pvw ? s_wd : '0);
            wire [TMB-1:0] m_ra = s3_v ? pa3 : ua_baddr;
            always @(posedge clk) begin
                if (m_we) mem[m_wa] <= m_wd;
                rd <= mem[m_ra];
                rdq <= rd;                   // (registered out of the block RAM)
            end
            assign t_rd_all[gb*LANES*TW +: LANES*TW] = rdq;
            if (gb == 0) begin : g_acc
                assign acc_word = mem[TMB'(acc_addr)];
            end
        end
    endgenerate
    generate
        if (IS_FIRST != 0) begin : g_vfirst
            // the first stage's membranes (or, when it is also the output stage, its accumulators)
            (* no_rw_check *) reg [UL*MB-1:0] vmem [0:NJ-1];
            reg [UL*MB-1:0] vrd, vrdq;
            assign v_word = vrdq;
            assign c_word = (UL*CB)'(t_word);
            assign acc_rdata = (LANES*MB)'(vmem[QJ'(acc_addr)]);  // (UPAR is 1 in an output stage)
            always @(posedge clk) begin
                if (u4_v) vmem[u4_j] <= u4_mem;
                else if (acc_clear && IS_OUT != 0) vmem[QJ'(acc_addr)] <= '0;
                vrd <= vmem[ua_j];
                vrdq <= vrd;
            end
        end else begin : g_vbank
            assign v_word = (UL*MB)'(t_word);
            assign c_word = '0;
            assign acc_rdata = (LANES*MB)'(acc_word);
        end
    endgenerate
endmodule
`default_nettype wire
