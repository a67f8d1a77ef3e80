`default_nettype none
// snn_fwd_lane: one lane of a target memory's read-add-write at S5: the word read (or, when one of
// the ops before wrote the same word after it was read, that op's sum; the newest first) plus the
// product. The hit flags are registered here, one copy per lane: the instances are kept apart
// (keep_hierarchy, so Yosys does not merge the identical registers), and each lane's multiplexer
// has its own select register instead of one register driving every lane's (the MNIST core's
// critical path on ECP5).
//  DEPTH 2: the sum is written at S5 (s_new); the read missed the two ops before.
//  DEPTH 3: the sum is written from its register at S6 (s_reg: the block RAM's write data comes
//           straight from a flip-flop); the read missed the three ops before, and the select is a
//           registered 2-bit code (a 4:1 multiplexer, one ECP5 slice per bit).
(* keep_hierarchy *)
module snn_fwd_lane #(
    parameter integer W = 8,
    parameter integer DEPTH = 2
) (
    input  wire         clk,
    input  wire         hit6_d,  // S4: the op now at S5 writes the same word
    input  wire         hit7_d,  // S4: the op now at S6 writes the same word
    /* verilator lint_off UNUSEDSIGNAL */  // (DEPTH 2 has no third op to forward)
    input  wire         hit8_d,  // S4: the op now at S7 writes the same word (DEPTH 3)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [W-1:0] rdq,     // the word as read
    input  wire [W-1:0] prod,    // the product to add
    output wire [W-1:0] s_new,
    output wire [W-1:0] s_reg    // s_new a cycle later
);
    reg [W-1:0] sum6, sum7;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [W-1:0] sum8;
    /* verilator lint_on UNUSEDSIGNAL */
    assign s_reg = sum6;
    generate
        if (DEPTH > 2) begin : g_d3
            reg [1:0] sel;  // 0: the word read, 1: sum6, 2: sum7, 3: sum8
            reg [W-1:0] base;
            always @(*) begin
                case (sel)
                    2'd1: base = sum6;
                    2'd2: base = sum7;
                    2'd3: base = sum8;
                    default: base = rdq;
                endcase
            end
            assign s_new = base + prod;
            always @(posedge clk) begin
                sel <= hit6_d ? 2'd1 : (hit7_d ? 2'd2 : (hit8_d ? 2'd3 : 2'd0));
            end
        end else begin : g_d2
            reg hit6, hit7;
            assign s_new = (hit6 ? sum6 : (hit7 ? sum7 : rdq)) + prod;
            always @(posedge clk) begin
                hit6 <= hit6_d;
                hit7 <= hit7_d;
            end
        end
    endgenerate
    always @(posedge clk) begin
        sum6 <= s_new;
        sum7 <= sum6;
        sum8 <= sum7;
    end
endmodule
`default_nettype wire
