// snn_seg_rom: a read-only memory of DEPTH rows of W bits in segments of SEG_ROWS rows (one block
// RAM deep each), read in three cycles: the row out of its segment's memory; every segment's word
// registered beside its block RAM; the row's segment selected into the output register. So neither a
// block RAM output nor the reader's logic runs through the depth multiplexer. Segment s is
// initialised from the file FILE followed by s in three decimal digits and ".mem" (NAME_w000.mem,
// NAME_w001.mem, ...: fpgasnn/backends/rtl/context.py writes them).
`default_nettype none
module snn_seg_rom #(
    parameter integer DEPTH = 1,
    parameter integer SEG_ROWS = 1024,
    parameter integer W = 8,
    parameter integer AB = 1,            // address width (at least $clog2(DEPTH))
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
        q <= seg_q[selq*W +: W];
    end
endmodule
`default_nettype wire
