// snn_ctrl: the AXI-Stream ends of the core and its start-up; the stages sequence themselves.
//
// After reset every stage runs its init pass; then `go` rises and stays high. The layers form a
// pipeline (snn_stage's sequencer): layer l + 1 works on step t while layer l works on step t + 1, and
// a new image enters as soon as the first stage has finished the last step of the previous one.
//   RX  pixels arrive on s_axis (C, H, W order) while the first stage waits for them (tready = its
//       ev_ready); a zero pixel is accepted in one cycle. After the last pixel, `rx_done` stays high
//       until the first stage takes it (`rx_ack`).
//   TX  when the output stage's scores are final (`img_done`): NCLS scores (sign-extended to 32 bits),
//       then, one idle cycle later, the class (first maximum) with tlast; the accumulator words are
//       cleared as they are sent; then a one-cycle `tx_done`. The argmax compares a registered copy
//       of each score sent, a cycle after its beat (the score mux and the compare are not one path).
`default_nettype none
module snn_ctrl #(
    parameter integer NSTAGES = 2,
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
    output wire cmd_init,
    input  wire [NSTAGES-1:0] busy,
    output wire go,
    output wire ev_valid,
    input  wire ev_ready,
    output wire [IN_POSB-1:0] ev_pos,
    output wire [IN_CB-1:0] ev_c,
    output wire [PIX_BITS:0] ev_val,
    output wire rx_done,
    input  wire rx_ack,
    input  wire img_done,
    output wire tx_done,
    output wire [OUT_QA-1:0] acc_addr,
    input  wire [OUT_L*OUT_MB-1:0] acc_rdata,
    output wire acc_clear
);
    localparam integer KB = (NCLS > 1) ? $clog2(NCLS + 1) : 1;
    localparam integer LB = (OUT_L > 1) ? $clog2(OUT_L) : 1;

    // ---------------------------------------------------------------- start-up
    localparam [1:0] I_INIT = 2'd0, I_WAIT = 2'd1, I_RUN = 2'd2;
    reg [1:0] ist;
    assign cmd_init = (ist == I_INIT);
    assign go = (ist == I_RUN);
    always @(posedge clk) begin
        if (rst) ist <= I_INIT;
        else if (ist == I_INIT) ist <= I_WAIT;
        else if (ist == I_WAIT && busy == '0) ist <= I_RUN;
    end

    // ---------------------------------------------------------------- RX
    reg rx_full;                          // every pixel of the image is in, not yet taken
    reg [IN_POSB-1:0] pos;
    reg [IN_CB-1:0] c;
    wire last_pix = (pos == IN_POSB'(IN_NPOS - 1)) && (c == IN_CB'(IN_C - 1));
    assign s_axis_tready = go && !rx_full && ev_ready;
    assign ev_valid = go && !rx_full && s_axis_tvalid;
    assign ev_pos = pos;
    assign ev_c = c;
    wire [PIX_BITS-1:0] pix = s_axis_tdata[PIX_BITS-1:0];
    assign ev_val = (PIX_SIGNED != 0) ? {pix[PIX_BITS-1], pix} : {1'b0, pix};
    assign rx_done = rx_full;
    always @(posedge clk) begin
        if (rst) begin
            rx_full <= 1'b0;
            pos <= '0;
            c <= '0;
        end else if (rx_full) begin
            if (rx_ack) rx_full <= 1'b0;
        end else if (s_axis_tvalid && s_axis_tready) begin
            if (last_pix) begin
                pos <= '0;
                c <= '0;
                rx_full <= 1'b1;
            end else if (pos == IN_POSB'(IN_NPOS - 1)) begin
                pos <= '0;
                c <= c + 1'b1;
            end else begin
                pos <= pos + 1'b1;
            end
        end
    end

    // ---------------------------------------------------------------- TX: scores, then the class
    localparam [1:0] T_WAIT = 2'd0, T_SEND = 2'd1, T_DONE = 2'd2, T_CMP = 2'd3;
    reg [1:0] tst;
    reg [KB-1:0] beat;
    reg [LB-1:0] lane;                    // lane and accumulator word of the score being sent
    reg [OUT_QA-1:0] tx_word;
    reg signed [OUT_MB-1:0] best_v;      // (compared at the scores' own width: a short carry chain)
    reg [31:0] best_i;
    reg cmp_v, cmp_first;                // a score sent last cycle, registered: compared now
    reg signed [OUT_MB-1:0] cmp_score;
    reg [KB-1:0] cmp_beat;
    assign acc_addr = tx_word;
    wire signed [OUT_MB-1:0] score = acc_rdata[lane*OUT_MB +: OUT_MB];
    wire signed [31:0] score32 = 32'(score);
    wire sending_class = (beat == KB'(NCLS));
    assign m_axis_tvalid = (tst == T_SEND);
    assign m_axis_tdata = sending_class ? best_i : score32;
    assign m_axis_tlast = sending_class;
    assign tx_done = (tst == T_DONE);
    wire tx_hs = (tst == T_SEND) && m_axis_tready;
    always @(posedge clk) begin
        cmp_v <= tx_hs && !sending_class && !rst;
        cmp_first <= (beat == '0);
        cmp_score <= score;
        cmp_beat <= beat;
        if (cmp_v && (cmp_first || cmp_score > best_v)) begin
            best_v <= cmp_score;
            best_i <= 32'(cmp_beat);
        end
    end
    assign acc_clear = tx_hs && !sending_class &&
                       ((lane == LB'(OUT_L - 1)) || (beat == KB'(NCLS - 1)));
    always @(posedge clk) begin
        if (rst) begin
            tst <= T_WAIT;
            beat <= '0;
            lane <= '0;
            tx_word <= '0;
        end else begin
            case (tst)
                T_WAIT: if (img_done) begin
                    beat <= '0;
                    lane <= '0;
                    tx_word <= '0;
                    tst <= T_SEND;
                end
                T_SEND: if (m_axis_tready) begin
                    if (sending_class) begin
                        tst <= T_DONE;
                    end else begin
                        if (beat == KB'(NCLS - 1)) tst <= T_CMP;  // the last score's compare
                        beat <= beat + 1'b1;
                        if (lane == LB'(OUT_L - 1)) begin
                            lane <= '0;
                            tx_word <= tx_word + 1'b1;
                        end else begin
                            lane <= lane + 1'b1;
                        end
                    end
                end
                T_CMP: tst <= T_SEND;     // one cycle: the class is final after it
                default: tst <= T_WAIT;   // T_DONE: one cycle
            endcase
        end
    end
    wire unused_ok = s_axis_tlast;
endmodule
`default_nettype wire
