#!/usr/bin/env bash
# Generates the Swift of SignalDesk's own .proto files (proto/: the dYdX v4 order messages and the
# Cosmos SDK transaction messages, issue 23) into Sources/SignalDeskCore/Dydx/Generated/. The
# generated files are committed: builds and CI need neither protoc nor the plugin.
#
# Needs protoc (Debian: apt-get install -y protobuf-compiler) and swift-protobuf's
# protoc-gen-swift of the version Package.swift uses (1.39.0). Set PROTOC_GEN_SWIFT to a built
# plugin, or let this script build it from the package checkout (about 10 minutes the first time).
set -euo pipefail
cd "$(dirname "$0")/.."

plugin="${PROTOC_GEN_SWIFT:-}"
if [[ -z "$plugin" ]]; then
    checkout=.build/checkouts/swift-protobuf
    [[ -d "$checkout" ]] || swift package resolve
    swift build -c release --product protoc-gen-swift --package-path "$checkout"
    plugin="$checkout/.build/release/protoc-gen-swift"
fi
command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }

out=Sources/SignalDeskCore/Dydx/Generated
rm -rf "$out"
mkdir -p "$out"
protoc --plugin=protoc-gen-swift="$plugin" \
    --swift_opt=Visibility=Public --swift_opt=FileNaming=PathToUnderscores \
    --swift_out="$out" -I proto \
    proto/dydx/clob.proto proto/cosmos/tx.proto proto/cosmos/secp256k1.proto
echo "generated: $(ls "$out" | tr '\n' ' ')"
