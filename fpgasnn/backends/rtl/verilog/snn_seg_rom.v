// snn_seg_rom: a read-only memory of DEPTH rows of W bits in segments of SEG_ROWS rows (one block
// RAM deep each), read in 3 + TWO_LEVEL cycles: the row out of its segment's memory; every
// segment's word registered beside its block RAM; the row's segment selected into the output
// register. So neither a block RAM output nor the reader's logic runs through the depth
// multiplexer. With TWO_LEVEL = 1 the select is two registered levels: first within groups of four
// segments (a register per group, which placement can put beside the group's block RAMs), then
// among the groups: a ROM of many segments spread over the die does not route every segment's word
// to one multiplexer in one cycle. Segment s is initialised from the file FILE followed by s in three
// decimal digits and ".mem" (NAME_w000.mem, NAME_w001.mem, ...: fpgasnn/backends/rtl/context.py
// writes them).
`default_nettype none
module snn_seg_rom #(
    parameter integer DEPTH = 1,
    parameter integer SEG_ROWS = 1024,   // a power of two (the low address bits pick the row)
    parameter integer W = 8,
    parameter integer AB = 1,            // address width (at least $clog2(DEPTH))
    parameter integer TWO_LEVEL = 0,     // 1: the segment select in two registered levels
                                         // (for more than 4 segments)
    parameter FILE = "rom_"
) (
    input  wire          clk,
    input  wire [AB-1:0] addr,
    output reg  [W-1:0]  q
);
    localparam integer SD = (DEPTH > SEG_ROWS) ? SEG_ROWS : DEPTH;  // rows of a full segment
    localparam integer NSEG = (DEPTH + SD - 1) / SD;
    localparam integer SA = (SD > 1) ? $clog2(SD) : 1;
    localparam integer SB = (NSEG > 1) ? $clog2(NSEG) : 1;
    localparam integer NG = (NSEG + 3) / 4;     // groups of four segments (TWO_LEVEL)
    localparam integer GB = (NG > 1) ? $clog2(NG) : 1;
    wire [NSEG*W-1:0] seg_q;  // every segment's registered word
    reg [SB-1:0] sel, selq;   // the row's segment
    genvar gs;
    generate
        for (gs = 0; gs < NSEG; gs = gs + 1) begin : g_seg
            localparam integer RD = (gs == NSEG - 1) ? DEPTH - gs * SD : SD;
            localparam integer RA = (RD > 1) ? $clog2(RD) : 1;
            localparam [23:0] DIG = {8'(8'd48 + gs / 100), 8'(8'd48 + (gs / 10) % 10),
                                     8'(8'd48 + gs % 10)};
            reg [W-1:0] rom [0:RD-1];
            initial $readmemh({FILE, DIG, ".mem"}, rom);
            reg [W-1:0] d, dq;
            always @(posedge clk) begin
                d <= rom[RA'(addr)];
                dq <= d;
            end
            assign seg_q[gs*W +: W] = dq;
        end
    endgenerate
    always @(posedge clk) begin
        sel <= SB'(addr >> SA);
        selq <= sel;
    end
    generate
        if (TWO_LEVEL == 0) begin : g_one
            always @(posedge clk) q <= seg_q[selq*W +: W];
        end else begin : g_two
            // (the last group may be short: its missing segments read as zero, never selected)
            wire [NG*4*W-1:0] seg_pad = (NG*4*W)'(seg_q);
            reg [NG*W-1:0] gq;       // each group's selected word
            reg [GB-1:0] gsel;       // the row's group
            genvar gg;
            for (gg = 0; gg < NG; gg = gg + 1) begin : g_grp
                always @(posedge clk) gq[gg*W +: W] <= seg_pad[(gg*4 + 32'(selq[1:0]))*W +: W];
            end
            always @(posedge clk) begin
                gsel <= GB'(selq >> 2);
                q <= gq[gsel*W +: W];
            end
        end
    endgenerate
endmodule
`default_nettype wire
