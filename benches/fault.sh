#!/usr/bin/env bash
# Fault benchmark: PMD-eligible vs PTE-forced DAX write faults over 256 MiB
# on xfs in the guest (harness/src/bench.rs), for the stock kernel and the
# dax-pmd kernel with the C and with the Rust fallback decision —
# interleaved (stock, C, Rust, stock, ...) so that host noise hits all
# three alike. Absolute numbers are TCG figures; the PMD/PTE ratio is what
# compares with the 2016 series (1406 vs 557 MB/s = 2.52x).
#
#   benches/fault.sh [REPS] [MIB]      (defaults 5 and 256)
#
# Builds both kernels first with `daxkit build` (kept kernels are reused).
set -euo pipefail
reps=${1:-5}
mib=${2:-256}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export DAXKIT_HOME=${DAXKIT_HOME:-$root/.daxkit}
cargo build -q --release -p daxkit
daxkit=$root/target/release/daxkit
stock=$("$daxkit" -q build)
series=$("$daxkit" -q build dax-pmd)
out=$(mktemp -d /tmp/daxkit-fault.XXXXXX)

one() { # label kernel append...
  local label=$1 kernel=$2; shift 2
  local args=()
  for a in "$@"; do args+=(--append "$a"); done
  "$daxkit" -q run --kernel "$kernel" "${args[@]}" --accel tcg --fs xfs \
    --case xfs-aligned-shared-write --bench-mib "$mib" >/dev/null 2>&1 || true
  local run
  run=$(ls -td "$DAXKIT_HOME"/runs/*-run | head -1)
  grep '"type":"bench"' "$run/results.jsonl" | sed "s/^@daxkit /$label /" >> "$out/bench.txt"
}
for i in $(seq "$reps"); do
  one stock "$stock"
  one C "$series" dax_pmd_impl=c
  one Rust "$series" dax_pmd_impl=rust
done
python3 - "$out/bench.txt" "$reps" "$mib" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, js = line.split(" ", 1)
    b = json.loads(js)
    rows.setdefault(label, {}).setdefault(b["name"], []).append(b)
print(f"{sys.argv[2]} interleaved repetitions, {sys.argv[3]} MiB each, xfs, TCG; medians (min-max)\n")
print("| kernel | PMD MiB/s | PTE MiB/s | PMD faults | PTE faults | PMD ns/fault | PTE ns/fault | PMD/PTE |")
print("|---|---|---|---|---|---|---|---|")
for label in ["stock", "C", "Rust"]:
    r = rows.get(label, {})
    p, t = r.get("pmd-eligible", []), r.get("pte-forced", [])
    if not p or not t:
        print(f"| {label} | no result | | | | | | |"); continue
    med = lambda xs, k: statistics.median(x[k] for x in xs)
    rng = lambda xs, k: f"{min(x[k] for x in xs):.0f}-{max(x[k] for x in xs):.0f}"
    ratios = [a["mib_per_s"] / b["mib_per_s"] for a, b in zip(p, t)]
    print(f"| {label} | {med(p,'mib_per_s'):.0f} ({rng(p,'mib_per_s')}) | {med(t,'mib_per_s'):.0f} ({rng(t,'mib_per_s')}) "
          f"| {med(p,'faults'):.0f} | {med(t,'faults'):.0f} | {med(p,'ns_per_fault')/1000:.0f} µs | {med(t,'ns_per_fault')/1000:.1f} µs "
          f"| {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) |")
print("| 2016 DAX PMD series (FIO mmap, XFS, real pmem) | 1406 MB/s | 557 MB/s | | | | | 2.52x |")
PY
