#!/usr/bin/env bash
# Side by side, in one run: berthd driven by the docker CLI against
# containerd 1.6 (Debian's, as a plain process) driven by ctr, on the same
# archives. Prints figures and berth/containerd ratios (< 1: berth faster).
#
#   bench/containerd_compare.sh [build dir]
#   BERTH_CMP_IMAGES   images for listing and removal (default 1000)
#   BERTH_CMP_LOAD_MB  size of the single large image to load (default 512)
#   BERTH_CMP_REMOVE   removals timed (default 100)
#
# Both stores live in one temporary folder; containerd's import skips
# unpacking (--no-unpack) because berth unpacks only when a container
# starts; ctr removals use --sync so content is deleted before ctr returns,
# as berth's are.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
N=${BERTH_CMP_IMAGES:-1000}
LOAD_MB=${BERTH_CMP_LOAD_MB:-512}
RM=${BERTH_CMP_REMOVE:-100}
HERE=$(cd "$(dirname "$0")" && pwd)
for tool in containerd ctr docker python3; do
  command -v "$tool" >/dev/null || { echo "containerd_compare: $tool is missing (scripts/install-deps installs containerd)"; exit 1; }
done

WORK=$(mktemp -d /tmp/berth-cmp.XXXXXX)
CTRD_PID=""; BERTHD_PID=""
cleanup() {
  [ -n "$BERTHD_PID" ] && kill "$BERTHD_PID" 2>/dev/null || true
  [ -n "$CTRD_PID" ] && kill "$CTRD_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

echo "== preparing archives in $WORK"
python3 "$HERE/make_archive.py" "$WORK/big.tar" --images 1 --layers 8 \
  --layer-bytes $((LOAD_MB * 1024 * 1024 / 8)) --prefix bench/big >/dev/null
python3 "$HERE/make_archive.py" "$WORK/many.tar" --images "$N" --layers 1 --layer-bytes 2048 >/dev/null

cat >"$WORK/containerd.toml" <<TOML
version = 2
root = "$WORK/containerd/root"
state = "$WORK/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$WORK/containerd.sock"
TOML
containerd -c "$WORK/containerd.toml" >"$WORK/containerd.log" 2>&1 &
CTRD_PID=$!
"$BUILD/bin/berthd" --data-root "$WORK/berth" -H "unix://$WORK/berth.sock" \
  --pidfile "$WORK/berthd.pid" --log-level error >"$WORK/berthd.log" 2>&1 &
BERTHD_PID=$!
CTR=(ctr -a "$WORK/containerd.sock")
export DOCKER_HOST="unix://$WORK/berth.sock"
for _ in $(seq 100); do
  if "${CTR[@]}" version >/dev/null 2>&1 && docker version >/dev/null 2>&1; then break; fi
  sleep 0.1
done

# Loads archive $1 into both (docker load, then ctr import) and prints both
# times and the ratio.
compare_load() {
  local t0 t1 b c
  t0=$(now); docker load -q -i "$1" >/dev/null; t1=$(now)
  b=$(elapsed "$t0" "$t1")
  t0=$(now); "${CTR[@]}" images import --no-unpack "$1" >/dev/null; t1=$(now)
  c=$(elapsed "$t0" "$t1")
  echo "berth ${b}s  containerd ${c}s  ratio $(ratio "$b" "$c")"
}

echo "== load: one ${LOAD_MB} MB image (8 layers)"
compare_load "$WORK/big.tar"

echo "== load: $N small images in one archive"
compare_load "$WORK/many.tar"

echo "== list: $((N + 1)) images (hyperfine, 20 runs each)"
hyperfine -N --warmup 3 --runs 20 --export-json "$WORK/list.json" \
  -n "berth: docker images" "docker images" \
  -n "containerd: ctr images ls" "${CTR[*]} images ls" >/dev/null
python3 - "$WORK/list.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
b, c = r[0]["median"], r[1]["median"]
print(f"berth {b*1000:.1f} ms  containerd {c*1000:.1f} ms (medians)  ratio {b/c:.2f}")
PY

echo "== removal: $RM images, one command each"
t0=$(now); for i in $(seq 0 $((RM - 1))); do docker rmi -f "bench/img-$i" >/dev/null; done; t1=$(now)
b_rm=$(elapsed "$t0" "$t1")
t0=$(now); for i in $(seq 0 $((RM - 1))); do "${CTR[@]}" images rm --sync "docker.io/bench/img-$i:latest" >/dev/null; done; t1=$(now)
c_rm=$(elapsed "$t0" "$t1")
echo "berth ${b_rm}s  containerd ${c_rm}s  ratio $(ratio "$b_rm" "$c_rm") (per removal: $(python3 -c "print(f'{$b_rm/$RM*1000:.1f} vs {$c_rm/$RM*1000:.1f} ms')"))"
