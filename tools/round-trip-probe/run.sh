#!/usr/bin/env bash
# What the autoencoder's round trip does to the scene evaluator's garment readings (report/FINDINGS.md, session 17).
# Usage: tools/round-trip-probe/run.sh [AUTOENCODER_DIR]   (default models/autoencoder-scenes; needs the built jar)
#   FlipProbe: on the suite's 2000 real test-split scenes, how many garments the cell classifier reads as another
#              class after the round trip, and which (real → round trip).
#   NoiseProbe: the scores of the same real scenes with Gaussian pixel noise of the given RMS (grey levels) and with a
#              3×3 blur (blurW: neighbour weight W), for comparison at equal PSNR.
set -euo pipefail
cd "$(dirname "$0")/../.."
cp="target/imagine-flash.jar:target/lib/*"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
javac -d "$out" -cp "$cp" tools/round-trip-probe/*.java
java -Dai.djl.offline=true -cp "$out:$cp" FlipProbe "${1:-models/autoencoder-scenes}" 2>&1 | grep -v '^\[W\|Warning:'
java -Dai.djl.offline=true -cp "$out:$cp" NoiseProbe 0 6.6 blur0.2 blur0.25 2>&1 | grep -v '^\[W\|Warning:'
