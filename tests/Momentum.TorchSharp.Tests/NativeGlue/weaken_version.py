#!/usr/bin/env python3
"""Test infrastructure only: marks one symbol-version requirement of an ELF shared library weak, in place.

Usage: weaken_version.py LIBRARY VERSION   (e.g. libLibTorchSharp.so GLIBCXX_3.4.32)

The dynamic loader refuses to load a library that needs a symbol version its dependencies lack (TorchSharp 0.107.0's
native glue needs GLIBCXX_3.4.32, from GCC 13's libstdc++; Debian 12 has GCC 12's, up to 3.4.30), unless that
requirement is flagged weak (VER_FLG_WEAK in its Elf64_Vernaux entry); then it only warns when asked to. Run on a copy in
the test output folder, never on an installed package. Exits 0 whether it changed the flag or found it weak already,
1 if the library does not require VERSION.
"""
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def main(path, version):
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            sys.exit(f"{path}: not a little-endian 64-bit ELF file")
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        for _, sh_type, _, _, offset, _, link, info, _, _ in sections:
            if sh_type != SHT_GNU_VERNEED:
                continue
            strtab = sections[link][4]
            need = offset
            for _ in range(info):  # sh_info: the number of Elf64_Verneed entries
                _, count, _, aux, next_need = struct.unpack_from("<HHIII", data, need)
                entry = need + aux
                for _ in range(count):
                    _, flags, _, name, next_aux = struct.unpack_from("<IHHII", data, entry)
                    end = data.index(b"\0", strtab + name)
                    if data[strtab + name:end].decode() == version:
                        struct.pack_into("<H", data, entry + 4, flags | VER_FLG_WEAK)
                        f.seek(0)
                        f.write(data)
                        print(f"{path}: {version} marked weak")
                        return 0
                    entry += next_aux
                need += next_need
    print(f"{path}: does not require {version}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
