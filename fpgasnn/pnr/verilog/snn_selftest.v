// snn_selftest: a board-level self-test of an fpgasnn core (hand-written; parameters set by the flow).
//
// After power-on (and whenever the button is held) it streams the N_IMG images of a ROM
// (selftest_images.mem: N_IMG * PIX words of IN_W bits, image after image, in the core's input order)
// into snn_top's s_axis, takes every output beat (m_axis_tready stays high), and compares the class
// beat of each image (the beat with tlast) with the golden class in a second ROM
// (selftest_classes.mem: N_IMG 8-bit words, written from the golden model).
// LEDs (active high at `led_raw`; inverted on the pins when LED_ACTIVE_LOW):
//   led[0] = pass: every image's class matched; led[1] = done: all N_IMG classes arrived;
//   led[LED_W-1:2] = the number of matches, modulo 2**(LED_W-2).
// The core runs on the board clock `clk`; reset is a 16-cycle power-on pulse, or the button.
`default_nettype none
module snn_selftest #(
    parameter integer N_IMG = 4,
    parameter integer PIX = 64,
    parameter integer IN_W = 8,
    parameter integer LED_W = 8,
    parameter integer LED_ACTIVE_LOW = 0,
    parameter integer BTN_ACTIVE_LOW = 0
) (
    input  wire clk,
    input  wire btn,
    output wire [LED_W-1:0] led
);
    localparam integer NW = N_IMG * PIX;
    localparam integer AW = $clog2(NW + 1);     // counts 0..NW
    localparam integer PW = $clog2(PIX + 1);
    localparam integer IW = $clog2(N_IMG + 1);
    localparam [AW-1:0] NW_V = NW;
    localparam [IW-1:0] N_IMG_V = N_IMG;

    reg [IN_W-1:0] img_rom [0:NW-1];
    reg [7:0] cls_rom [0:N_IMG-1];
    initial begin
        $readmemh("selftest_images.mem", img_rom);
        $readmemh("selftest_classes.mem", cls_rom);
    end

    // ---- reset: power-on pulse, and while the button is held
    reg [4:0] por = 5'd0;
    wire btn_on = BTN_ACTIVE_LOW ? ~btn : btn;
    always @(posedge clk) begin
        if (btn_on) por <= 5'd0;
        else if (!por[4]) por <= por + 5'd1;
    end
    wire rst = ~por[4];

    // ---- driver: one registered beat, refilled from the ROM (synchronous read: block RAM)
    reg s_valid = 1'b0;
    reg s_last = 1'b0;
    reg [IN_W-1:0] s_data;
    reg [AW-1:0] rd = {AW{1'b0}};
    reg [PW-1:0] pix = {PW{1'b0}};
    wire s_ready;
    wire take = s_valid & s_ready;
    wire more = (rd != NW_V);
    always @(posedge clk) begin
        if (rst) begin
            s_valid <= 1'b0;
            s_last <= 1'b0;
            rd <= {AW{1'b0}};
            pix <= {PW{1'b0}};
        end else if ((!s_valid || take) && more) begin
            s_data <= img_rom[rd[AW-1:0]];
            s_valid <= 1'b1;
            s_last <= (pix == PIX - 1);
            rd <= rd + 1'b1;
            pix <= (pix == PIX - 1) ? {PW{1'b0}} : pix + 1'b1;
        end else if (take) begin
            s_valid <= 1'b0;
        end
    end

    // ---- the core
    wire [31:0] m_data;
    wire m_valid, m_last;
    snn_top core (
        .clk(clk), .rst(rst),
        .s_axis_tdata(s_data), .s_axis_tvalid(s_valid), .s_axis_tready(s_ready), .s_axis_tlast(s_last),
        .m_axis_tdata(m_data), .m_axis_tvalid(m_valid), .m_axis_tready(1'b1), .m_axis_tlast(m_last)
    );

    // ---- checker: the class beat (tlast) of image k against cls_rom[k]
    reg [IW-1:0] got = {IW{1'b0}};
    reg [IW-1:0] n_match = {IW{1'b0}};
    reg done = 1'b0;
    wire [7:0] want = cls_rom[got];
    always @(posedge clk) begin
        if (rst) begin
            got <= {IW{1'b0}};
            n_match <= {IW{1'b0}};
            done <= 1'b0;
        end else if (m_valid && m_last && !done) begin
            if (m_data == {24'd0, want}) n_match <= n_match + 1'b1;
            got <= got + 1'b1;
            if (got == N_IMG - 1) done <= 1'b1;
        end
    end

    wire pass = done && (n_match == N_IMG_V);
    wire [LED_W+IW-1:0] shown = {n_match, done, pass};
    wire [LED_W-1:0] led_raw = shown[LED_W-1:0];
    assign led = LED_ACTIVE_LOW ? ~led_raw : led_raw;
endmodule
`default_nettype wire
