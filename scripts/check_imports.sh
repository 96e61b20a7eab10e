#!/usr/bin/env bash
# Fails when a target imports a module it does not declare as a direct dependency in Package.swift.
#
# `swift build --explicit-target-dependency-import-check error` (which scripts/test.sh also uses)
# only catches an import of a target outside the importer's whole dependency closure: SwiftPM
# counts transitive dependencies as declared, so SignalDeskServer importing SQLKit (reached through
# Fluent's drivers) passes it. This check reads the manifest (`swift package dump-package`) and
# every Swift file of every target, and requires each imported module to be a declared target or
# product (products here are named after their module), or a module of the toolchain.
#   scripts/check_imports.sh [PACKAGE_DIR]     (default: the repository)
set -euo pipefail
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$script_dir/lib/common.sh"
cd "${1:-$script_dir/..}"
ensure_swift
# A scratch directory of its own: reading the manifest needs no build, so it does not wait for
# the lock of a build running in .build.
scratch="$(mktemp -d /tmp/signaldesk-imports.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
manifest="$(swift package --scratch-path "$scratch" dump-package)"
python3 - "$manifest" <<'PY'
import json, os, re, sys

# Modules of the toolchain and the platform: never declared in a manifest.
TOOLCHAIN = {
    "Swift", "Foundation", "FoundationEssentials", "FoundationInternationalization", "FoundationNetworking",
    "FoundationXML", "Dispatch", "Glibc", "Musl", "Darwin", "WinSDK", "Android", "Synchronization",
    "Observation", "_Concurrency", "_StringProcessing", "RegexBuilder", "Distributed", "Testing", "XCTest",
    "CoreFoundation", "os",
}
IMPORT = re.compile(r"^\s*(?:@[\w]+(?:\([^)]*\))?\s+)*import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?([A-Za-z_][A-Za-z0-9_]*)")

package = json.loads(sys.argv[1])
problems = []
for target in package["targets"]:
    if target["type"] in ("system", "binary", "plugin", "macro"):
        continue
    declared = set()
    for dependency in target["dependencies"]:
        kind, value = next(iter(dependency.items()))
        declared.add(value[0].replace("-", "_"))
    default_root = "Tests" if target["type"] == "test" else "Sources"
    root = target.get("path") or os.path.join(default_root, target["name"])
    target_name = target["name"]
    own = target_name.replace("-", "_")
    for directory, _, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as source:
                for number, line in enumerate(source, 1):
                    match = IMPORT.match(line)
                    if not match:
                        continue
                    module = match.group(1)
                    if module in TOOLCHAIN or module in declared or module == own:
                        continue
                    problems.append(f"{path}:{number}: target {target_name} imports {module} without declaring it")
for problem in problems:
    print(problem)
if problems:
    print(f"{len(problems)} undeclared import(s): declare each module in the dependencies of its target in Package.swift")
    sys.exit(1)
print("Imports: every target declares what it imports")
PY
