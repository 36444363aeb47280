#!/usr/bin/env bash
# Runs every benchmark and prints its figures. Usage: bench/run.sh [build dir]
set -euo pipefail
BUILD=${1:-build}
echo "== SHA-256 ingest vs sha256sum (1 GiB; BERTH_BENCH_BYTES to change)"
"$BUILD/bin/sha256_bench"
echo "== listing 10,000 images in process"
"$BUILD/bin/list_bench" 10000 20
echo "== removal cost, store of 100 vs 10,000 images"
"$BUILD/bin/remove_bench" 100 10000 50
echo "== pull: berthd docker pull vs skopeo copy (500 MB, 5 layers; BERTH_PULL_BENCH_MB to change)"
python3 "$(dirname "$0")/pull_bench.py" "$BUILD"
for extra in load_bench container_bench; do
  if [ -x "$BUILD/bin/$extra" ]; then echo "== $extra"; "$BUILD/bin/$extra"; fi
done
echo "== side by side with containerd 1.6"
bash "$(dirname "$0")/containerd_compare.sh" "$BUILD"
