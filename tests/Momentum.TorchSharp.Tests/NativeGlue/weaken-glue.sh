#!/usr/bin/env bash
# Test infrastructure only (README.md beside this file): writes DEST as a fresh copy of SOURCE (TorchSharp's
# libLibTorchSharp.so) with its GLIBCXX_3.4.32 requirement marked weak, when the system's libstdc++ lacks that version.
# Usage: weaken-glue.sh SOURCE DEST
set -euo pipefail
source=$1 dest=$2
libstdcxx=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [ -n "$libstdcxx" ] && grep -q GLIBCXX_3.4.32 "$libstdcxx"; then
  exit 0 # libstdc++ of GCC 13 or later: the glue loads as shipped
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "warning: python3 is missing, so $dest keeps its GLIBCXX_3.4.32 requirement and may fail to load" >&2
  exit 0
fi
rm -f "$dest"                 # never write through a link into the package cache
cp "$source" "$dest"
python3 "$(dirname "$0")/weaken_version.py" "$dest" GLIBCXX_3.4.32
