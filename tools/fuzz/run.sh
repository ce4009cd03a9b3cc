#!/usr/bin/env bash
# Coverage-guided fuzzing of SafeTensorsFile.Read and Checkpoint.Load for N minutes (default 5): builds the harness,
# instruments Momentum.dll with SharpFuzz, runs afl++ on the committed seed corpus, and prints afl++'s totals. Needs
# the .NET 10 SDK and Debian's afl++ (apt-get install afl++); crashes land in $OUT/default/crashes (default out/fuzz).
set -euo pipefail
cd "$(dirname "$0")"
minutes=${1:-5}
out=${OUT:-../../out/fuzz}
command -v afl-fuzz >/dev/null || { echo "needs afl-fuzz (apt-get install afl++)" >&2; exit 1; }
dotnet tool restore >/dev/null
dotnet build -c Release -o bin/fuzz >/dev/null
dotnet tool run sharpfuzz bin/fuzz/Momentum.dll
rm -rf "$out"
mkdir -p "$out"
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
afl-fuzz -i corpus -o "$out" -t 5000 -m none -V $((minutes * 60)) -- dotnet bin/fuzz/Momentum.Fuzz.dll >"$out/afl.log" 2>&1 || true
stats="$out/default/fuzzer_stats"
[ -f "$stats" ] || { tail -n 30 "$out/afl.log"; exit 1; }
grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg)' "$stats"
crashes=$(find "$out/default/crashes" -type f ! -name README.txt | wc -l)
echo "crashes: $crashes"
[ "$crashes" -eq 0 ]
