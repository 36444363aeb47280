#!/usr/bin/env bash
# Runs every libFuzzer target of a BERTH_FUZZ=ON build (see `make fuzz`) for
# FUZZ_SECONDS each, one after the other, on a copy of its seed corpus, and
# prints executions, corpus size and crashes (new artifacts) per target.
#   fuzz/run.sh BUILD_DIR [TARGET...]   (default: every fuzz/corpus/<name>)
# Environment: FUZZ_SECONDS (60), FUZZ_WORK (BUILD_DIR/fuzz-work: corpora,
# crash-* artifacts and logs), FUZZ_ARGS (extra libFuzzer flags).
set -uo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR [TARGET...]}
shift
src=$(cd "$(dirname "$0")" && pwd)
seconds=${FUZZ_SECONDS:-60}
work=${FUZZ_WORK:-$build/fuzz-work}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for d in "$src"/corpus/*/; do targets+=("$(basename "$d")"); done
fi
mkdir -p "$work"
status=0
printf '%-16s %10s %8s %8s %8s\n' target executions exec/s corpus crashes
for t in "${targets[@]}"; do
  exe=$build/bin/${t}_fuzz
  if [ ! -x "$exe" ]; then echo "fuzz/run.sh: $exe missing (build target fuzz_targets)" >&2; status=1; continue; fi
  corpus=$work/$t/corpus
  artifacts=$work/$t/artifacts
  mkdir -p "$corpus" "$artifacts"
  cp -n "$src/corpus/$t"/* "$corpus"/ 2>/dev/null
  log=$work/$t/log
  marker=$work/$t/started
  touch "$marker"
  # -timeout: an input taking over 10 s is a hang; -rss_limit_mb: over
  # 2 GiB is a memory blow-up. Leaks are reported (ASan's leak check).
  "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashes=$(find "$artifacts" -type f -newer "$marker" | wc -l)
  printf '%-16s %10s %8s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "$(ls "$corpus" | wc -l)" "$crashes"
  if [ $rc -ne 0 ] || [ "$crashes" -ne 0 ]; then
    status=1
    echo "  $t: exit $rc; log $log; artifacts in $artifacts" >&2
    grep -m3 -E 'ERROR: |fuzz invariant failed|SUMMARY' "$log" | sed 's/^/    /' >&2
  fi
done
exit $status
