`default_nettype none
// snn_fwd_lane: one lane of a target memory's read-add-write at S5: the word read (or, when one of
// the two ops before wrote the same word, that op's sum; the newer first) plus the product. The two
// hit flags are registered here, one copy per lane: the instances are kept apart (keep_hierarchy, so
// Yosys does not merge the identical registers), and each lane's multiplexer has its own select
// register instead of one register driving every lane's (the MNIST core's critical path on ECP5).
(* keep_hierarchy *)
module snn_fwd_lane #(
    parameter integer W = 8
) (
    input  wire         clk,
    input  wire         hit6_d,  // S4: the op now at S5 writes the same word
    input  wire         hit7_d,  // S4: the op now at S6 writes the same word
    input  wire [W-1:0] rdq,     // the word as read
    input  wire [W-1:0] prod,    // the product to add
    output wire [W-1:0] s_new
);
    reg hit6, hit7;
    reg [W-1:0] sum6, sum7;
    assign s_new = (hit6 ? sum6 : (hit7 ? sum7 : rdq)) + prod;
    always @(posedge clk) begin
        hit6 <= hit6_d;
        hit7 <= hit7_d;
        sum6 <= s_new;
        sum7 <= sum6;
    end
endmodule
`default_nettype wire
