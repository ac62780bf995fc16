#!/usr/bin/env bash
# Fault benchmark: PMD-eligible vs PTE-forced DAX write faults over 256 MiB
# on xfs in the guest (harness/src/bench.rs), for the stock kernel and the
# dax-pmd kernel with the C and with the Rust fallback decision —
# interleaved (stock, C, Rust, stock, ...) so that host noise hits all
# three alike. Absolute numbers are TCG figures; the PMD/PTE ratio is what
# compares with the 2016 series (fio printed 1406.7MB/s with PMDs and
# 557610KB/s with PTEs, both base 1024: 1406.7 vs 544.5 MiB/s = 2.58x; on
# a PMEM device made from memmap'd RAM).
#
#   benches/fault.sh [REPS] [MIB]      (defaults 5 and 256)
#
# Builds both kernels first with `daxkit build` (kept kernels are reused).
#
# A run counts only when `daxkit run` exited 0 and `daxkit report bench`
# (the judge's rule: both page-table readers confirm each run's intended
# mapping) accepts its folder. Any other run is named with its folder and
# why, left out of every median, and makes the script exit 1 after it has
# printed what it has.
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
: > "$out/runs.jsonl"

latest_run() {
  ls -td "$DAXKIT_HOME"/runs/*-run 2>/dev/null | head -1 || true
}

one() { # label kernel append...
  local label=$1 kernel=$2; shift 2
  local args=() rc=0 before run n
  for a in "$@"; do args+=(--append "$a"); done
  n=$(wc -l < "$out/runs.jsonl")
  before=$(latest_run)
  "$daxkit" -q run --kernel "$kernel" "${args[@]}" --accel tcg --fs xfs \
    --case xfs-aligned-shared-write --bench-mib "$mib" \
    >"$out/$label-$n.out" 2>"$out/$label-$n.err" || rc=$?
  run=$(latest_run)
  if [ -z "$run" ] || [ "$run" = "$before" ]; then
    run=""
  fi
  # `report bench` exits 1 for a folder that does not count; its line says why.
  local check=""
  if [ -n "$run" ]; then
    check=$("$daxkit" -q report bench "$run" 2>&1) || true
  fi
  python3 - "$label" "$rc" "$out/$label-$n.err" "$run" "$check" >> "$out/runs.jsonl" <<'PY'
import json, sys
label, rc, err, run, text = sys.argv[1:6]
try:
    check = json.loads(text)
except ValueError:
    why = "no run folder" if not run else f"daxkit report bench: {text.strip() or 'no output'}"
    check = {"run": run, "verified": False, "problems": [why], "bench": []}
print(json.dumps({"label": label, "rc": int(rc), "err": err, "check": check}))
PY
}
for i in $(seq "$reps"); do
  one stock "$stock"
  one C "$series" dax_pmd_impl=c
  one Rust "$series" dax_pmd_impl=rust
done
python3 - "$out/runs.jsonl" "$reps" "$mib" <<'PY'
import json, os, statistics, sys

CODES = {1: "bad", 125: "cannot test", 128: "daxkit error", 130: "interrupted"}

def why_exit(r):
    """The judge's one line from summary.json, else daxkit's last stderr line."""
    rc, run = r["rc"], r["check"]["run"]
    what = f"daxkit run exited {rc} ({CODES.get(rc, 'failed')})"
    try:
        with open(os.path.join(run, "summary.json")) as f:
            return f"{what}: {json.load(f)['why']}"
    except (OSError, KeyError, ValueError):
        pass
    try:
        with open(r["err"]) as f:
            lines = [l.strip() for l in f if l.strip()]
        if lines:
            return f"{what}: {lines[-1]}"
    except OSError:
        pass
    return what

runs = [json.loads(l) for l in open(sys.argv[1])]
good, failed = {}, []
for r in runs:
    c = r["check"]
    why = ([why_exit(r)] if r["rc"] != 0 else []) + c["problems"]
    if why:
        failed.append((r["label"], c["run"] or "(no run folder)", why))
        continue
    b = {x["name"]: x for x in c["bench"]}
    good.setdefault(r["label"], []).append((b["pmd-eligible"], b["pte-forced"]))

print(f"{sys.argv[2]} interleaved repetitions, {sys.argv[3]} MiB each, xfs, TCG; "
      "medians (min-max) of the runs whose mapping both page-table readers confirmed\n")
print("| kernel | runs | PMD MiB/s | PTE MiB/s | PMD faults | PTE faults | PMD ns/fault | PTE ns/fault | PMD/PTE |")
print("|---|---|---|---|---|---|---|---|---|")
for label in ["stock", "C", "Rust"]:
    pairs = good.get(label, [])
    total = sum(1 for r in runs if r["label"] == label)
    if not pairs:
        print(f"| {label} | 0/{total} | no verified run | | | | | | |"); continue
    p, t = [a for a, _ in pairs], [b for _, b in pairs]
    med = lambda xs, k: statistics.median(x[k] for x in xs)
    rng = lambda xs, k: f"{min(x[k] for x in xs):.0f}-{max(x[k] for x in xs):.0f}"
    ratios = [a["mib_per_s"] / b["mib_per_s"] for a, b in pairs]
    print(f"| {label} | {len(pairs)}/{total} | {med(p,'mib_per_s'):.0f} ({rng(p,'mib_per_s')}) | {med(t,'mib_per_s'):.0f} ({rng(t,'mib_per_s')}) "
          f"| {med(p,'faults'):.0f} | {med(t,'faults'):.0f} | {med(p,'ns_per_fault')/1000:.0f} µs | {med(t,'ns_per_fault')/1000:.1f} µs "
          f"| {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) |")
print("| 2016 DAX PMD series (FIO mmap, XFS, PMEM made from memmap'd RAM; "
      "fio printed 1406.7MB/s and 557610KB/s, base 1024) | | 1406.7 | 544.5 | | | | | 2.58x |")
if failed:
    print(f"\n{len(failed)} of {len(runs)} runs do not count (left out of every median; "
          f"daxkit's output in {os.path.dirname(sys.argv[1])}):", file=sys.stderr)
    for label, run, why in failed:
        print(f"  {label} {run}: {'; '.join(why)}", file=sys.stderr)
    sys.exit(1)
PY
