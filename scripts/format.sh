#!/usr/bin/env bash
# Formats the Swift sources with the toolchain's swift-format and the checked-in .swift-format.
# --check changes nothing: it formats a copy of the sources and exits 1, naming each file that
# formatting would change (so it passes exactly when `scripts/format.sh` would change nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/lib/common.sh
source scripts/lib/common.sh
ensure_swift
paths=(Sources Tests Package.swift)
if [ "${1:-}" = "--check" ]; then
  copy="$(mktemp -d /tmp/signaldesk-format.XXXXXX)"
  trap 'rm -rf "$copy"' EXIT
  cp -R "${paths[@]}" .swift-format "$copy/"
  (cd "$copy" && swift format format --in-place --recursive --configuration .swift-format "${paths[@]}")
  unformatted=0
  while IFS= read -r -d '' file; do
    if ! cmp -s "$file" "$copy/$file"; then
      echo "Not formatted: $file"
      unformatted=$((unformatted + 1))
    fi
  done < <(find "${paths[@]}" -name '*.swift' -print0)
  if [ "$unformatted" -gt 0 ]; then
    echo "$unformatted file(s) not formatted: run scripts/format.sh"
    exit 1
  fi
  echo "Formatting: every Swift file is formatted"
else
  swift format format --in-place --recursive --configuration .swift-format "${paths[@]}"
fi
