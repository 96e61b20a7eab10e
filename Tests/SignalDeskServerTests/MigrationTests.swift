import Fluent
import SQLKit
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct MigrationTests {
    static let tables: Set<String> = [
        "users", "sessions", "two_factor", "login_attempts", "exchange_secrets", "strategy_assignments",
        "webhook_endpoints", "signals", "positions", "orders", "daily_risk_state", "audit_log", "outbox",
        "settings", "idempotency_keys",
    ]

    static let indexes: Set<String> = [
        "idx_sessions_user", "idx_sessions_family", "idx_login_attempts_email_time", "idx_exchange_secrets_key_id",
        "idx_signals_user_status", "idx_signals_status_created", "idx_signals_webhook_body",
        "idx_positions_user_status", "idx_positions_user_opened", "idx_positions_user_closed_day",
        "idx_positions_status_symbol", "idx_orders_signal", "idx_orders_user_created", "idx_audit_user_time",
        "idx_audit_action_time", "idx_audit_time", "idx_outbox_status_next", "idx_audit_pending",
        "idx_audit_chain_seq_set",
    ]

    struct Name: Decodable { let name: String }

    static func tableNames(_ db: any Database, _ kind: TestDatabase) async throws -> Set<String> {
        let sql = db as! any SQLDatabase
        let query: SQLQueryString =
            switch kind {
            case .sqlite: "SELECT name FROM sqlite_master WHERE type = 'table'"
            case .postgres:
                "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
            }
        return Set(try await sql.raw(query).all(decoding: Name.self).map(\.name))
    }

    static func indexNames(_ db: any Database, _ kind: TestDatabase) async throws -> Set<String> {
        let sql = db as! any SQLDatabase
        let query: SQLQueryString =
            switch kind {
            case .sqlite: "SELECT name FROM sqlite_master WHERE type = 'index'"
            case .postgres: "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()"
            }
        return Set(try await sql.raw(query).all(decoding: Name.self).map(\.name))
    }

    @Test(arguments: TestDatabase.all)
    func migrationsCreateTheWholeSchemaAndRevertCleanly(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let created = try await Self.tableNames(app.db, database)
            #expect(Self.tables.isSubset(of: created), "missing: \(Self.tables.subtracting(created))")
            let indexes = try await Self.indexNames(app.db, database)
            #expect(Self.indexes.isSubset(of: indexes), "missing: \(Self.indexes.subtracting(indexes))")
            #expect(!indexes.contains("idx_audit_chain_seq"), "replaced by idx_audit_chain_seq_set")

            // Running again is a no-op, as `signaldesk migrate` on an up-to-date database must be.
            try await app.autoMigrate()

            try await app.autoRevert()
            let remaining = try await Self.tableNames(app.db, database)
            #expect(remaining.isDisjoint(with: Self.tables), "left behind: \(remaining.intersection(Self.tables))")
        }
    }

    @Test(arguments: TestDatabase.all)
    func uniqueConstraintsHoldInTheDatabase(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            try await User(email: "dup@example.com", passwordHash: "x", role: .trader).create(on: app.db)
            await #expect(throws: (any Error).self) {
                try await User(email: "dup@example.com", passwordHash: "y", role: .trader).create(on: app.db)
            }
            let user = try #require(try await User.query(on: app.db).first())
            let sql = app.db as! any SQLDatabase
            let webhook = UUID()
            func insertSignal(alert: String) async throws {
                try await sql.raw(
                    """
                    INSERT INTO signals (id, user_id, symbol, module, side, exchange, source, order_type, status,
                        reason_codes, webhook_id, alert_id, lease_count, created_at, updated_at)
                    VALUES (\(bind: UUID()), \(bind: user.id!), 'BTCUSDT', 'tv', 'LONG', 'BINANCE', 'tradingview',
                        'market', 'CREATED', '[]', \(bind: webhook), \(bind: alert), 0, \(bind: Date()), \(bind: Date()))
                    """
                ).run()
            }
            try await insertSignal(alert: "alert-1")
            try await insertSignal(alert: "alert-2")
            await #expect(throws: (any Error).self) { try await insertSignal(alert: "alert-1") }
        }
    }

    /// The sealer's indexes are partial: the pending one holds unchained rows only (an index of every
    /// id would serve the sealer's plan too, but grow with the log), the unique one chained rows only.
    @Test(arguments: TestDatabase.all)
    func theAuditChainIndexesArePartial(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            struct Definition: Decodable { let definition: String }
            func definition(_ name: String) async throws -> String {
                let query: SQLQueryString =
                    switch database {
                    case .sqlite:
                        "SELECT sql AS definition FROM sqlite_master WHERE type = 'index' AND name = \(bind: name)"
                    case .postgres:
                        "SELECT indexdef AS definition FROM pg_indexes WHERE schemaname = current_schema() AND indexname = \(bind: name)"
                    }
                let row = try await (app.db as! any SQLDatabase).raw(query).first(decoding: Definition.self)
                return try #require(row).definition.lowercased()
            }
            let pending = try await definition("idx_audit_pending")
            #expect(
                pending.contains("where") && pending.contains("chain_seq") && pending.contains("is null"), "\(pending)")
            let chained = try await definition("idx_audit_chain_seq_set")
            #expect(chained.contains("unique") && chained.contains("is not null"), "\(chained)")
        }
    }

    @Test(arguments: TestDatabase.all)
    func chainSequencesStayUniqueWhileUnchainedRowsShareNone(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let sql = app.db as! any SQLDatabase
            func insert(_ sequence: Int?) async throws {
                try await sql.raw(
                    """
                    INSERT INTO audit_log (action, created_at, chain_seq) VALUES ('test.row', \(bind: Date()), \(bind: sequence))
                    """
                ).run()
            }
            try await insert(nil)
            try await insert(nil)
            try await insert(1)
            await #expect(throws: (any Error).self) { try await insert(1) }
        }
    }

    /// Read as the sealer reads it (its setting, then its query), its work comes from
    /// `idx_audit_pending` (only unchained rows, in its order) by a plain index scan. Sequential scans are switched off for the plan: on a
    /// test-sized table they would win.
    @Test(.enabled(if: TestDatabase.postgresURL != nil))
    func theSealersQueryReadsThePendingIndex() async throws {
        try await withTestApp(.postgres) { app in
            for index in 0..<20 {
                try await AuditLog.record(
                    .signalClaim, userID: nil, entityType: "test", entityID: String(index), on: app.db)
            }
            let plan = try await app.db.transaction { tx in
                let sql = tx as! any SQLDatabase
                try await sql.raw("SET LOCAL enable_seqscan = off").run()
                try await sql.raw(PostgresAuditChainStore.bitmapScansOff).run()
                let explain: SQLQueryString = "EXPLAIN " + PostgresAuditChainStore.pendingQuery(limit: 500)
                return try await sql.raw(explain).all().map { try $0.decode(column: "QUERY PLAN", as: String.self) }
            }
            #expect(
                plan.contains { $0.contains("Index Scan using idx_audit_pending") }, "\(plan.joined(separator: "\n"))")
        }
    }
}
