#!/usr/bin/env bash
# One check of an accelerator machine, about 5 minutes on a GPU: the device, the throughput of the
# shared-stream trainer and of batched data scaling, and the bahri2021 and sharma-kaplan2020 presets
# at a small budget on --backend devices (benchmarks/device_check.py does the work).
#
#   bash benchmarks/device_check.sh                # sized for the device JAX finds
#   DEVICE_CHECK_SIZE=cpu bash benchmarks/device_check.sh   # the CPU form (about 10 min, 2 cores)
#
# DEVICE_CHECK_SIZE: auto (default) | gpu | cpu | tiny (the tests' form); DEVICE_CHECK_OUT: where
# the preset runs are written (default: a new temporary directory); PYTHON: the interpreter.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
args=(--size "${DEVICE_CHECK_SIZE:-auto}")
if [[ -n "${DEVICE_CHECK_OUT:-}" ]]; then
    args+=(--out "$DEVICE_CHECK_OUT")
fi
exec "${PYTHON:-python}" "$here/device_check.py" "${args[@]}"
