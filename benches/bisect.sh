#!/usr/bin/env bash
# Bisect benchmark: `daxkit bisect` on the pmd-regression fixture (3 patches
# on stock 6.12, patch 2 breaks aligned PMD faults), one case, with every
# step's kernel built incrementally in the shared build dir (the kept
# kernels of the base and of the three patches are dropped first, so no
# step is served from the cache). Prints each step's build and boot time
# and the total.
#
#   benches/bisect.sh
#
# Needs a first build of the tree (any daxkit build) so that steps are
# incremental, as they are for a developer; $DAXKIT_HOME default ./.daxkit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export DAXKIT_HOME=${DAXKIT_HOME:-$root/.daxkit}
cargo build -q --release -p daxkit
daxkit=$root/target/release/daxkit
series=tests/fixtures/series/pmd-regression
commits=$("$daxkit" -q apply "$series" | awk 'NR>1 {print $1}')
base=$(git --git-dir="$DAXKIT_HOME/repos/debian-6.12.git" rev-parse debian-6.12.117 2>/dev/null || true)
for k in "$DAXKIT_HOME"/kernels/*/; do
  c=$(cat "$k/commit" 2>/dev/null || true)
  for want in $commits ${base:0:12}; do
    case $c in "$want"*) rm -rf "$k"; echo "dropped kept kernel $(basename "$k") ($want)" >&2 ;; esac
  done
done
start=$(date +%s.%N)
out=$("$daxkit" bisect "$series" --case xfs-aligned-shared-write --fs xfs --bench-mib 0 2>/dev/null)
end=$(date +%s.%N)
echo "$out"
folder=$(echo "$out" | sed -n 's/^bisect folder: //p')
python3 - "$folder" "$start" "$end" <<'PY'
import glob, json, os, sys
files = sorted(glob.glob(sys.argv[1] + "/steps/*.json"), key=os.path.getmtime)
steps = [json.load(open(f)) for f in files]
print("\n| step | commit | verdict | build (s) | boot + case (s) |")
print("|---|---|---|---|---|")
for i, s in enumerate(steps, 1):
    v = {0: "good", 1: "bad", 125: "skip"}.get(s["code"], s["code"])
    print(f"| {i} | `{s['commit'][:12]}` {s['subject']} | {v} | {s['build_s']:.0f} | {s['boot_s']:.0f} |")
total = float(sys.argv[3]) - float(sys.argv[2])
print(f"\n{len(steps)} steps (2 endpoint checks + bisection), {total:.0f} s in total, "
      f"{sum(s['build_s'] + s['boot_s'] for s in steps) / max(len(steps), 1):.0f} s per step on average")
PY
