#!/usr/bin/env bash
# Boot benchmark: daxkit's time to first result (the guest's hello record)
# and whole-run time under TCG, side by side with virtme-ng booting the
# same bzImage (`vng --run BZIMAGE --disable-kvm --exec true`).
#
#   benches/boot.sh BZIMAGE [REPS]     (default 5 repetitions)
#
# Prints a Markdown table of medians (and min/max) for docs/benchmarks.md.
# vng boots its root fs over virtio-9p; a daxkit kernel (no virtio, no 9p)
# cannot mount it and panics at that point. Then what is timed is vng up to
# that panic: a lower bound of its time to first result on this kernel.
# Runs are interleaved (daxkit, vng, daxkit, vng, ...) so host noise hits
# both alike. Needs: cargo, qemu-system-x86_64, and vng (pip install
# virtme-ng) for the comparison column; without vng only daxkit is timed.
set -euo pipefail
kernel=$(realpath "${1:?usage: benches/boot.sh BZIMAGE [REPS]}")
reps=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/daxkit-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export DAXKIT_HOME=$work/home

cargo build -q --release --manifest-path "$root/Cargo.toml" -p daxkit 2>/dev/null
daxkit=$root/target/release/daxkit
image=$("$daxkit" -q image)

now() { date +%s.%N; }
# One field of the newest run's summary.json.
field() { python3 -c 'import json,sys,glob,os
d=max(glob.glob(os.environ["DAXKIT_HOME"]+"/runs/*"),key=os.path.getmtime)
s=json.load(open(d+"/summary.json")); v=s
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$1"; }

declare -a hello one full vng_t vng_panic
# Runs vng verbosely; prints "<wall seconds> <seconds to root-fs panic or
# -1> <exit status>".
vng_timed() {
    (cd "$work" && python3 - "$kernel" <<'PY'
import subprocess, sys, time
t0 = time.time(); panic = -1.0
p = subprocess.Popen(["vng", "-v", "--run", sys.argv[1], "--disable-kvm", "--exec", "true"],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
for line in p.stdout:
    if panic < 0 and "Kernel panic - not syncing" in line:
        panic = time.time() - t0
rc = p.wait()
print(f"{time.time() - t0:.3f} {panic:.3f} {rc}")
PY
    )
}
have_vng=0; command -v vng >/dev/null && have_vng=1
vng_note=""
for i in $(seq "$reps"); do
    # Time to first result and a one-case run: the bisect-step shape.
    t0=$(now)
    "$daxkit" -q run --kernel "$kernel" --image "$image" --accel tcg \
        --fs xfs --case xfs-aligned-shared-write >/dev/null 2>&1 || true
    t1=$(now)
    [ "$(field outcome)" = completed ] || { echo "daxkit run failed, see $DAXKIT_HOME/runs" >&2; exit 1; }
    hello+=("$(python3 -c "print($(field timings_ms.hello)/1000)")")
    one+=("$(python3 -c "print($t1-$t0)")")
    # The whole default run: every case on xfs and ext4.
    t0=$(now)
    "$daxkit" -q run --kernel "$kernel" --image "$image" --accel tcg >/dev/null 2>&1 || true
    t1=$(now)
    full+=("$(python3 -c "print($t1-$t0)")")
    if [ $have_vng = 1 ]; then
        read -r wall panic rc < <(vng_timed)
        if [ "$rc" = 0 ]; then
            vng_t+=("$wall")
        elif [ "$panic" != "-1.000" ]; then
            vng_panic+=("$panic")
            vng_note="vng could not boot this kernel: it panicked at the root mount (no virtio-9p), exit $rc"
        else
            vng_note="vng failed (exit $rc) without reaching the kernel's root mount"
        fi
    fi
done

stats() { printf '%s\n' "$@" | python3 -c 'import sys,statistics as s
v=[float(x) for x in sys.stdin if x.strip()]
print(f"{s.median(v):.2f} s | {min(v):.2f}–{max(v):.2f} s" if v else "n/a | n/a")'; }

echo "Kernel: $kernel ($(stat -c %s "$kernel") bytes); image: $(basename "$image") ($(stat -c %s "$image") bytes); $reps repetitions, $(nproc) host cores, QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}'), TCG"
echo
echo "| what | median | min–max |"
echo "|---|---|---|"
echo "| daxkit: QEMU start → hello record (first result) | $(stats "${hello[@]}") |"
echo "| daxkit run, 1 case (\`--fs xfs --case xfs-aligned-shared-write\`), wall | $(stats "${one[@]}") |"
echo "| daxkit run, all cases, xfs + ext4, wall | $(stats "${full[@]}") |"
if [ $have_vng = 1 ]; then
    echo "| vng --run --disable-kvm --exec true, wall (its first result) | $(stats "${vng_t[@]:-}") |"
    echo "| vng, same command, wall until its root-fs panic (lower bound) | $(stats "${vng_panic[@]:-}") |"
fi
if [ -n "$vng_note" ]; then
    echo
    echo "Note: $vng_note."
fi
