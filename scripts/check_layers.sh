#!/usr/bin/env bash
# Fails when the server's layers leak into each other (docs/architecture.md, "Layers"):
#   1. only stores (Sources/SignalDeskServer/Stores), migrations, configure.swift and Config/ know
#      which database runs: nowhere else a PostgreSQL or SQLite driver import, a
#      PostgresDatabase/SQLiteDatabase/PSQLError, a dialect name or a branch on the database kind;
#   2. only stores, migrations and configure.swift write SQL: nowhere else SQLKit, a raw statement
#      or a custom Fluent filter;
#   3. services, stores and the auth flow never make HTTP errors (APIError, Abort) and never use a
#      controller type;
#   4. audit rows are written with Core's AuditAction, never a string literal.
#   scripts/check_layers.sh [PACKAGE_DIR]     (default: the repository)
set -euo pipefail
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "${1:-$script_dir/..}"
python3 - <<'PY'
import os, re, sys

server = "Sources/SignalDeskServer"
knows_database = ("Stores/", "Migrations/", "Config/", "configure.swift")
database_words = re.compile(
    r"^\s*import\s+(PostgresNIO|PostgresKit|FluentPostgresDriver|FluentSQLiteDriver|SQLiteKit|SQLiteNIO)\b"
    r"|\bPostgresDatabase\b|\bSQLiteDatabase\b|\bPSQLError\b|\bdialect\.name\b|\bisPostgres\b"
    r"|\.kind\s*==|case\s+\.postgres\b|case\s+\.sqlite\b")
writes_sql = ("Stores/", "Migrations/", "configure.swift")
sql_words = re.compile(
    r"^\s*import\s+SQLKit\b|\bSQLDatabase\b|\.raw\(|\bsql\(for:|\bSQLQueryString\b|\bSQLBind\b"
    r"|\.custom\(|\bunsafeRaw\b")
http_words = re.compile(r"\bAPIError\(|\bAbort\(|\b[A-Z]\w*Controller\b")
audit_literal = re.compile(r"AuditLog\.record\(\s*\"")
problems = []
for directory, _, files in os.walk(server):
    for name in sorted(files):
        if not name.endswith(".swift"):
            continue
        path = os.path.join(directory, name)
        relative = os.path.relpath(path, server)
        lines = open(path, encoding="utf-8").read().split("\n")
        for number, line in enumerate(lines, 1):
            code = line.split("//", 1)[0]
            if not relative.startswith(knows_database) and database_words.search(code):
                problems.append(f"{path}:{number}: only stores know the database: {line.strip()}")
            if not relative.startswith(writes_sql) and sql_words.search(code):
                problems.append(f"{path}:{number}: only stores write SQL: {line.strip()}")
            if relative.startswith(("Services/", "Stores/", "Auth/")) and http_words.search(code):
                problems.append(f"{path}:{number}: no HTTP errors or controller types below controllers: {line.strip()}")
            if audit_literal.search(code):
                problems.append(f"{path}:{number}: audit actions come from AuditAction: {line.strip()}")
for problem in problems:
    print(problem, file=sys.stderr)
if problems:
    print(f"check_layers: {len(problems)} problem(s)", file=sys.stderr)
    sys.exit(1)
print("check_layers: the layers hold")
PY
