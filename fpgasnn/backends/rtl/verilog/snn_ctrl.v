// snn_ctrl: sequencing of one inference and the AXI-Stream ends of the core.
//
// After reset every stage runs its init pass. Then, per image:
//   RX    pixels arrive on s_axis (C, H, W order); stage 0 scatters each nonzero pixel (tready low
//         while it is busy); a zero pixel is accepted in one cycle.
//   STEPS for each of the PRESIM + WAKE + SLEEP steps, for each stage i: scatter the events of
//         stage i-1 (i > 0), then the update pass of stage i.
//   TX    NCLS scores (sign-extended to 32 bits), then the class (first maximum) with tlast.
// The accumulator words are cleared while they are sent, so the next image starts from zero.
`default_nettype none
module snn_ctrl #(
    parameter integer NSTAGES = 2,
    parameter integer PRESIM = 0,
    parameter integer WAKE = 1,
    parameter integer SLEEP = 0,
    parameter integer NB = 4,
    parameter integer IN_W = 8,
    parameter integer PIX_BITS = 8,
    parameter integer PIX_SIGNED = 0,
    parameter integer IN_NPOS = 1,
    parameter integer IN_C = 1,
    parameter integer IN_POSB = 1,
    parameter integer IN_CB = 1,
    parameter integer NCLS = 2,
    parameter integer OUT_L = 2,
    parameter integer OUT_MB = 8,
    parameter integer OUT_QA = 1
) (
    input  wire clk,
    input  wire rst,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [IN_W-1:0] s_axis_tdata,  // pixels are in the low PIX_BITS
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire s_axis_tvalid,
    output wire s_axis_tready,
    input  wire s_axis_tlast,
    output wire [31:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input  wire m_axis_tready,
    output wire m_axis_tlast,
    // stages
    output wire [NSTAGES-1:0] cmd_init,
    output wire [NSTAGES-1:0] cmd_scatter,
    output wire [NSTAGES-1:0] cmd_update,
    input  wire [NSTAGES-1:0] busy,
    output wire m_bias_on,
    output wire m_sleep,
    output wire m_last,
    output wire m_last_presim,
    output wire [NB-1:0] m_t_wake,
    output wire ev_valid,
    input  wire ev_ready,
    output wire [IN_POSB-1:0] ev_pos,
    output wire [IN_CB-1:0] ev_c,
    output wire [PIX_BITS:0] ev_val,
    output wire [OUT_QA-1:0] acc_addr,
    input  wire [OUT_L*OUT_MB-1:0] acc_rdata,
    output wire acc_clear,
    output wire [NB-1:0] step
);
    localparam integer TOTAL = PRESIM + WAKE + SLEEP;
    localparam integer SB = (NSTAGES > 1) ? $clog2(NSTAGES) : 1;
    localparam integer KB = (NCLS > 1) ? $clog2(NCLS + 1) : 1;
    localparam integer LB = (OUT_L > 1) ? $clog2(OUT_L) : 1;
    localparam [3:0] C_INIT = 4'd0, C_INITW = 4'd1, C_RX0 = 4'd2, C_RX = 4'd3, C_RXW = 4'd4,
                     C_SC = 4'd5, C_SCW = 4'd6, C_UP = 4'd7, C_UPW = 4'd8, C_TX = 4'd9;
    reg [3:0] st;
    reg [SB-1:0] si;
    reg [NB-1:0] k;
    reg [IN_POSB-1:0] pos;
    reg [IN_CB-1:0] c;
    reg [KB-1:0] beat;
    reg [LB-1:0] lane;            // TX: lane and accumulator word of the score being sent
    reg [OUT_QA-1:0] tx_word;
    reg signed [31:0] best_v;
    reg [31:0] best_i;

    wire last_pix = (pos == IN_POSB'(IN_NPOS - 1)) && (c == IN_CB'(IN_C - 1));
    assign s_axis_tready = (st == C_RX) && ev_ready;
    assign ev_valid = (st == C_RX) && s_axis_tvalid;
    assign ev_pos = pos;
    assign ev_c = c;
    wire [PIX_BITS-1:0] pix = s_axis_tdata[PIX_BITS-1:0];
    assign ev_val = (PIX_SIGNED != 0) ? {pix[PIX_BITS-1], pix} : {1'b0, pix};

    assign cmd_init = (st == C_INIT) ? {NSTAGES{1'b1}} : '0;
    assign cmd_scatter = (st == C_SC) ? (NSTAGES'(1) << si) : ((st == C_RX0) ? NSTAGES'(1) : '0);
    assign cmd_update = (st == C_UP) ? (NSTAGES'(1) << si) : '0;
    wire busy_si = busy[si];

    assign step = k;
    assign m_bias_on = (k < NB'(PRESIM + WAKE));
    assign m_sleep = !m_bias_on;
    assign m_last = (k == NB'(TOTAL - 1));
    assign m_last_presim = (PRESIM > 0) && (k == NB'(PRESIM - 1));
    assign m_t_wake = (PRESIM > 0 && {1'b0, k} < (NB+1)'(PRESIM)) ? '0 : ((k >= NB'(PRESIM + WAKE)) ? NB'(WAKE) : k - NB'(PRESIM) + 1'b1);

    // TX: scores then class
    assign acc_addr = tx_word;
    wire signed [OUT_MB-1:0] score = acc_rdata[lane*OUT_MB +: OUT_MB];
    wire signed [31:0] score32 = 32'(score);
    wire sending_class = (beat == KB'(NCLS));
    assign m_axis_tvalid = (st == C_TX);
    assign m_axis_tdata = sending_class ? best_i : score32;
    assign m_axis_tlast = sending_class;
    wire tx_hs = (st == C_TX) && m_axis_tready;
    assign acc_clear = tx_hs && !sending_class &&
                       ((lane == LB'(OUT_L - 1)) || (beat == KB'(NCLS - 1)));

    always @(posedge clk) begin
        if (rst) begin
            st <= C_INIT;
            si <= '0;
            k <= '0;
            pos <= '0;
            c <= '0;
            beat <= '0;
            lane <= '0;
            tx_word <= '0;
        end else begin
            case (st)
                C_INIT: st <= C_INITW;
                C_INITW: if (busy == '0) st <= C_RX0;
                C_RX0: begin
                    pos <= '0;
                    c <= '0;
                    st <= C_RX;
                end
                C_RX: if (s_axis_tvalid && ev_ready) begin
                    if (pos == IN_POSB'(IN_NPOS - 1)) begin
                        pos <= '0;
                        c <= c + 1'b1;
                    end else begin
                        pos <= pos + 1'b1;
                    end
                    if (last_pix) st <= C_RXW;
                end
                C_RXW: if (!busy[0]) begin
                    k <= '0;
                    si <= '0;
                    st <= C_UP;
                end
                C_SC: st <= C_SCW;
                C_SCW: if (!busy_si) st <= C_UP;
                C_UP: st <= C_UPW;
                C_UPW: if (!busy_si) begin
                    if (si == SB'(NSTAGES - 1)) begin
                        si <= '0;
                        if (k == NB'(TOTAL - 1)) begin
                            beat <= '0;
                            lane <= '0;
                            tx_word <= '0;
                            st <= C_TX;
                        end else begin
                            k <= k + 1'b1;
                            st <= C_UP;
                        end
                    end else begin
                        si <= si + 1'b1;
                        st <= C_SC;
                    end
                end
                C_TX: if (m_axis_tready) begin
                    if (sending_class) begin
                        st <= C_RX0;
                    end else begin
                        if (beat == '0 || score32 > best_v) begin
                            best_v <= score32;
                            best_i <= 32'(beat);
                        end
                        beat <= beat + 1'b1;
                        if (lane == LB'(OUT_L - 1)) begin
                            lane <= '0;
                            tx_word <= tx_word + 1'b1;
                        end else begin
                            lane <= lane + 1'b1;
                        end
                    end
                end
                default: st <= C_INIT;
            endcase
        end
    end
    wire unused_ok = s_axis_tlast;
endmodule
`default_nettype wire
