#!/usr/bin/env bash
# Runs SignalDesk on http://127.0.0.1:8080 with SQLite at var/signaldesk.sqlite.
# Installs what is missing (liboath-dev, libsecp256k1-dev, libbotan-2-dev) when run as root, builds, migrates and serves.
# Extra arguments go to `signaldesk serve` (e.g. --port 9000, --env production).
# CONFIGURATION=release builds with optimisations.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh

ensure_packages pkg-config:pkg-config pkgconfig=liboath:liboath-dev pkgconfig=libsecp256k1:libsecp256k1-dev \
  pkgconfig=botan-2:libbotan-2-dev
ensure_swift

configuration="${CONFIGURATION:-debug}"
swift build -c "$configuration" --product signaldesk
bin="$(swift build -c "$configuration" --show-bin-path)/signaldesk"

env_args=()
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = "--env" ] || [ "${!i}" = "-e" ]; then j=$((i + 1)); env_args=(--env "${!j}"); fi
done

"$bin" migrate "${env_args[@]}"
exec "$bin" serve --hostname "${HOST:-127.0.0.1}" --port "${PORT:-8080}" "$@"
