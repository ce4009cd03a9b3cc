#!/usr/bin/env python3
"""Writes docs/images/icon.png, the NuGet icon: a ball rolling down a loss curve on a rounded dark square.

Plain Python (zlib and struct only), 128 x 128 RGBA, 4 x 4 supersampled; rerun after changing it:
    python3 tools/icon/make_icon.py
"""
import math
import os
import struct
import zlib

SIZE, SS = 128, 4
BACKGROUND = (24, 38, 74)
CURVE = (120, 200, 255)
BALL = (255, 170, 60)


def curve_y(x):
    """The loss curve in unit coordinates: high on the left, decaying with a small bump, y down."""
    return 0.22 + 0.58 * (1 - math.exp(-3.2 * x)) + 0.05 * math.sin(9 * x) * math.exp(-2 * x)


def coverage(px, py):
    """The colour of one subsample at unit coordinates (px, py), or None outside the rounded square."""
    r = 0.16
    dx = max(r - px, 0, px - (1 - r))
    dy = max(r - py, 0, py - (1 - r))
    if dx * dx + dy * dy > r * r:
        return None
    bx, by = 0.72, curve_y(0.72) - 0.075
    if (px - bx) ** 2 + (py - by) ** 2 <= 0.07 ** 2:
        return BALL
    if 0.1 <= px <= 0.9:
        # distance to the curve, approximated by the vertical gap scaled by the slope
        slope = (curve_y(px + 1e-3) - curve_y(px - 1e-3)) / 2e-3
        if abs(py - curve_y(px)) / math.sqrt(1 + slope * slope) <= 0.035:
            return CURVE
    return BACKGROUND


def main():
    rows = []
    for y in range(SIZE):
        row = bytearray([0])
        for x in range(SIZE):
            acc = [0, 0, 0, 0]
            for sy in range(SS):
                for sx in range(SS):
                    c = coverage((x + (sx + 0.5) / SS) / SIZE, (y + (sy + 0.5) / SS) / SIZE)
                    if c is not None:
                        acc[0] += c[0]; acc[1] += c[1]; acc[2] += c[2]; acc[3] += 255
            n = SS * SS
            alpha = acc[3] // n
            covered = acc[3] // 255
            row += bytes([acc[0] // covered if covered else 0, acc[1] // covered if covered else 0,
                          acc[2] // covered if covered else 0, alpha])
        rows.append(bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")
    out = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "images", "icon.png")
    with open(out, "wb") as f:
        f.write(png)
    print(f"wrote {os.path.normpath(out)} ({len(png)} bytes)")


if __name__ == "__main__":
    main()
