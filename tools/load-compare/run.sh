#!/usr/bin/env bash
# The load test on the same students served by DJL and by their deployed ONNX graphs, each on a fresh server, repeated
# (docs/performance.md, session 16). Usage: tools/load-compare/run.sh MODELS_DIR REPETITIONS [OUT]
# MODELS_DIR holds the students to serve (e.g. copies of models/if-3step and models/if-scenes-3step); the script
# deploys a copy of it (export --deploy) for the ORT server. Prints one line per run: repetition, engine, model,
# p50, p99, requests/s, errors. Run it on an otherwise idle machine.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
IF="$here/imagine-flash"
src=$(cd "$1" && pwd); reps=$2; out=${3:-/dev/stdout}
work=$(mktemp -d); trap 'pkill -f "Main serve --models .* --port 8192" || true; rm -rf "$work"' EXIT
cp -r "$src" "$work/djl"; cp -r "$src" "$work/ort"
models=$(cd "$src" && ls -d */ | tr -d /)
for m in $models; do "$IF" export --model "$work/ort/$m" --deploy > /dev/null; done
for r in $(seq 1 "$reps"); do
  for engine in djl ort; do
    "$IF" serve --models "$work/$engine" --port 8192 --engine "$engine" > "$work/serve-$r-$engine.log" 2>&1 &
    until curl -sf localhost:8192/health > /dev/null 2>&1; do sleep 1; done
    for m in $models; do
      "$IF" load-test --port 8192 --model "$m" --requests 400 --clients 16 --warmup 200 2>&1 | awk -v e="$engine" -v m="$m" -v r="$r" \
        '/throughputPerSecond|p50Ms|p99Ms|^errors/{v[$1]=$2} END{print r, e, m, "p50", v["p50Ms"], "p99", v["p99Ms"], "req/s", v["throughputPerSecond"], "errors", v["errors"]}' >> "$out"
    done
    pkill -f "Main serve --models $work/$engine --port 8192"
    while pgrep -f "Main serve --models $work/$engine --port 8192" > /dev/null; do sleep 0.5; done
    grep -q " 500 \|Exception\|SIGSEGV" "$work/serve-$r-$engine.log" && cp "$work/serve-$r-$engine.log" "${out%/*}/serve-$r-$engine.log" 2>/dev/null || true
  done
done
