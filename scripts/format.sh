#!/usr/bin/env bash
# Formats the Swift sources with the toolchain's swift-format and the checked-in .swift-format.
# --check lints instead and exits non-zero on findings.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh
ensure_swift
if [ "${1:-}" = "--check" ]; then
  swift format lint --recursive --configuration .swift-format Sources Tests Package.swift
else
  swift format format --in-place --recursive --configuration .swift-format Sources Tests Package.swift
fi
