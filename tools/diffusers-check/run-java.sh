#!/usr/bin/env bash
# Runs `imagine-flash schedule --conformance` for every configuration of check.py (one JVM at a time) and prints JSON
# lines {config, sum, mean_abs}. Usage: tools/diffusers-check/run-java.sh [NAME,...] > java.jsonl
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
only=()
[ $# -gt 0 ] && only=(--only "$1")
python3 "$here/check.py" --java-args "${only[@]}" | while IFS=$'\t' read -r name args; do
  # shellcheck disable=SC2086
  out="$("$root/imagine-flash" schedule --conformance $args 2>/dev/null | grep '^{' | tail -1)"
  if [ -n "$out" ]; then
    printf '{"config": "%s", %s\n' "$name" "${out#\{}"
  else
    printf '{"config": "%s", "error": "no output"}\n' "$name"
  fi
done
