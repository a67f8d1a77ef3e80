`default_nettype none
// snn_fwd_lane: one lane of a target memory's read-add-write: at S5 the word read (or, when one of
// the three ops before wrote the same word, that op's sum; the newest first) plus the product,
// registered into ``sum``, which S6 writes back. A read at S3 misses the writes of the three ops
// ahead of it (at S4, S5 and S6), hence the three forwarded sums. Which word to add to is decided a
// stage early and registered here as a 2-bit select, one copy per lane: a 4:1 multiplexer of six
// inputs per bit (one LUT6, as the 3:1 of two flags was), and each lane's multiplexer has its own
// select register instead of one register driving every lane's (the MNIST core's critical path on
// ECP5). The instances are kept apart (keep_hierarchy), so Yosys does not merge the identical
// select registers.
(* keep_hierarchy *)
module snn_fwd_lane #(
    parameter integer W = 8
) (
    input  wire         clk,
    input  wire         hit6_d,  // S4: the op now at S5 writes the same word
    input  wire         hit7_d,  // S4: the op now at S6 writes the same word
    input  wire         hit8_d,  // S4: the op now at S7 wrote the same word (at S6, after our read)
    input  wire [W-1:0] rdq,     // the word as read
    input  wire [W-1:0] prod,    // the product to add
    output wire [W-1:0] sum      // S6: the new word
);
    reg [1:0] sel;               // 0: the word read; 1, 2, 3: the sum of the op 1, 2, 3 ahead
    reg [W-1:0] sum6, sum7, sum8;
    reg [W-1:0] base;
    always @(*) begin
        case (sel)
            2'd1: base = sum6;
            2'd2: base = sum7;
            2'd3: base = sum8;
            default: base = rdq;
        endcase
    end
    assign sum = sum6;
    always @(posedge clk) begin
        sel <= hit6_d ? 2'd1 : (hit7_d ? 2'd2 : (hit8_d ? 2'd3 : 2'd0));
        sum6 <= base + prod;
        sum7 <= sum6;
        sum8 <= sum7;
    end
endmodule
`default_nettype wire
