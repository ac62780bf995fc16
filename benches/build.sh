#!/usr/bin/env bash
# Build benchmark: daxkit's default config (kernel-config/*.config through
# allnoconfig) against `make defconfig` + the DAX fragment, on the same
# tree, side by side in one run: cold build (ccache off), then an
# incremental one after `touch fs/dax.c`. Reports wall time, CPU time
# (user+sys, the figure least disturbed by a busy machine), built objects
# and enabled options.
#
#   benches/build.sh [--no-rust] [-j N]
#
# Uses daxkit's import of Debian 6.12 ($DAXKIT_HOME, default ./.daxkit;
# `daxkit kernel fetch` first) through a worktree of its own at the base
# tag (daxkit's worktree moves with every build, bisect and test), and
# build dirs under $DAXKIT_HOME/bench. Prints a Markdown table for
# docs/benchmarks.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
home=${DAXKIT_HOME:-$root/.daxkit}
jobs=$(nproc); rust=1
while [ $# -gt 0 ]; do
  case $1 in
    --no-rust) rust=0 ;;
    -j) jobs=$2; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
repo=$home/repos/debian-6.12.git
[ -d "$repo" ] || { echo "no $repo: run daxkit kernel fetch first" >&2; exit 2; }
tag=$(git --git-dir="$repo" tag -l 'debian-6.12.*' | sort -V | tail -1)
bench=$home/bench
src=$bench/src
mkdir -p "$bench"
if [ ! -f "$src/Makefile" ]; then
  git --git-dir="$repo" worktree prune
  git --git-dir="$repo" worktree add -f --detach "$src" "$tag" >/dev/null
fi
frags=("$root"/kernel-config/{base,dax,probes}.config)
[ $rust = 1 ] && frags+=("$root/kernel-config/rust.config")
export CCACHE_DISABLE=1

configure() { # name kind
  local b=$bench/$1
  rm -rf "$b"; mkdir -p "$b"
  if [ "$2" = daxkit ]; then
    cat "${frags[@]}" > "$b/fragment.config"
    make -s -C "$src" O="$b" ARCH=x86_64 KCONFIG_ALLCONFIG="$b/fragment.config" allnoconfig
  else
    make -s -C "$src" O="$b" ARCH=x86_64 defconfig
    # The same DAX/probe/Rust options on top, as a developer would add them.
    "$src/scripts/kconfig/merge_config.sh" -m -O "$b" "$b/.config" "${frags[@]:1}" >/dev/null
    make -s -C "$src" O="$b" ARCH=x86_64 olddefconfig
  fi
}

timed() { # name label -> "wall cpu"
  local b=$bench/$1
  /usr/bin/time -f "%e %U %S" -o "$b/time.$2" make -s -C "$src" O="$b" ARCH=x86_64 -j"$jobs" bzImage >"$b/build.$2.log" 2>&1
  awk '{printf "%.0f %.0f\n", $1, $2+$3}' "$b/time.$2"
}

declare -A wall cpu objs opts incw incc
for name in daxkit defconfig; do
  configure $name $name
  opts[$name]=$(grep -c '=[ym]$' "$bench/$name/.config")
  read -r wall[$name] cpu[$name] < <(timed $name cold)
  objs[$name]=$(find "$bench/$name" -name '*.o' | wc -l)
done
# Incremental: the one-file change of a DAX developer.
for name in daxkit defconfig; do
  touch "$src/fs/dax.c"
  read -r incw[$name] incc[$name] < <(timed $name touch)
done

echo "| config | options =y/m | cold wall (s) | cold CPU (s) | objects | touch fs/dax.c wall (s) | CPU (s) |"
echo "|---|---|---|---|---|---|---|"
for name in daxkit defconfig; do
  echo "| $name | ${opts[$name]} | ${wall[$name]} | ${cpu[$name]} | ${objs[$name]} | ${incw[$name]} | ${incc[$name]} |"
done
python3 - "${cpu[daxkit]}" "${cpu[defconfig]}" "${objs[daxkit]}" "${objs[defconfig]}" <<'PY'
import sys
a, b, oa, ob = map(float, sys.argv[1:])
print(f"\ndefconfig+DAX / daxkit: {b/a:.2f}x the CPU time, {ob/oa:.2f}x the objects (ccache off)")
PY
