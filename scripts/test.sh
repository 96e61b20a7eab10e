#!/usr/bin/env bash
# Runs every SignalDesk test on a fresh machine:
#   1. installs what is missing (liboath-dev, libsecp256k1-dev, libbotan-2-dev, postgresql) when run as root;
#   2. starts a throwaway PostgreSQL cluster on a free loopback port;
#   3. checks that every target declares what it imports (scripts/check_imports.sh, and SwiftPM's
#      own check in the build), that the server's layers hold (scripts/check_layers.sh) and that
#      the sources are formatted (scripts/format.sh --check),
#      then `swift test`: every suite on SQLite, and the server suites on
#      PostgreSQL too;
#   4. starts the built server and runs the live checks and ops scripts against it.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh

ensure_packages curl:curl python3:python3 pkg-config:pkg-config pkgconfig=liboath:liboath-dev \
  pkgconfig=libsecp256k1:libsecp256k1-dev pkgconfig=botan-2:libbotan-2-dev \
  "path=/usr/lib/postgresql:postgresql" runuser:util-linux
ensure_swift

trap pg_destroy_cluster EXIT
pg_start_cluster
pg_create_database signaldesk_test
export PG_DIR PG_PORT PG_PASSWORD PG_BIN
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"

bash scripts/check_imports.sh
bash scripts/check_layers.sh
bash scripts/format.sh --check

started=$SECONDS
swift build --build-tests --explicit-target-dependency-import-check error
echo "Build: $((SECONDS - started)) s"

started=$SECONDS
SIGNALDESK_TEST_DATABASE_URL="$(pg_url signaldesk_test)" swift test --skip-build
echo "swift test (SQLite + PostgreSQL): $((SECONDS - started)) s"

export SIGNALDESK_BIN="$PWD/.build/debug/signaldesk"
status=0
for check in scripts/checks/*.sh; do
  echo "== $check"
  bash "$check" || status=1
done
exit $status
