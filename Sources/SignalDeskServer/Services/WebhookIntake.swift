import Crypto
import Fluent
import Foundation
import NIOConcurrencyHelpers
import PostgresNIO
import SQLKit
import SignalDeskCore
import Vapor

/// The accept path of webhook alerts: duplicate detection and one small transaction (signal +
/// audit). Everything slow (pretrade, venue calls) happens in the worker after the reply.
///
/// On PostgreSQL, alerts with an id are stored through the application's ``StatementBatcher``:
/// concurrent alerts share one statement and one commit (each still answers only after its own
/// signal and audit row are committed).
struct WebhookIntake {
    /// Identical bodies without an alert id within this many seconds are one alert.
    static let duplicateWindow: TimeInterval = 60

    let app: Application
    private let database: @Sendable () -> any Database

    /// `db` is made only when a path needs it: on PostgreSQL the usual accept path goes through
    /// the application's batchers, and making a request's database handle is not free.
    init(app: Application, db: @autoclosure @escaping @Sendable () -> any Database) {
        self.app = app
        self.database = db
    }

    var db: any Database { database() }

    enum Outcome: Equatable {
        case accepted(UUID)
        case duplicate(UUID)
    }

    enum Failure: Error, Equatable {
        /// The alert id is taken by a signal that is gone (its user was removed meanwhile).
        case alertIDTaken
    }

    /// The endpoint for `uuid`, with its owner's id and role, in one query. Plain SQL with only the
    /// columns the accept path reads: building a Fluent join of two whole models cost more CPU
    /// than anything else on this path (reflection over every field, an alias per column). On
    /// PostgreSQL, concurrent lookups share one statement (``Application/webhookEndpointBatcher``).
    static func endpoint(
        uuid: String, on makeDB: @autoclosure () -> any Database,
        batcher: StatementBatcher<String, WebhookStatements.Endpoint?>? = nil
    ) async throws -> WebhookStatements.Endpoint? {
        // Webhook uuids are UUIDs: anything else is unknown without asking the database (which
        // would refuse text such as a NUL character with an error instead of "no row").
        guard UUID(uuidString: uuid) != nil else { return nil }
        let found: WebhookStatements.Endpoint?
        if let batcher {
            found = try await batcher.submit(uuid)
        } else if let postgres = makeDB() as? any PostgresDatabase {
            found = try await WebhookStatements.lookUp([uuid], on: postgres, logger: postgres.logger)[0]
        } else {
            found = try await (makeDB() as! any SQLDatabase).raw(
                """
                SELECT e.id, e.user_id, e.secret_sealed, e.secret_digest, e.enabled, u.role
                FROM webhook_endpoints e JOIN users u ON u.id = e.user_id
                WHERE e.webhook_uuid = \(bind: uuid)
                """
            ).first().map { row in
                WebhookStatements.Endpoint(
                    webhookUUID: uuid, id: try row.decode(column: "id", as: UUID.self),
                    userID: try row.decode(column: "user_id", as: UUID.self),
                    secretSealed: try row.decode(column: "secret_sealed", as: String.self),
                    secretDigest: try row.decode(column: "secret_digest", as: String.self),
                    enabled: try row.decode(column: "enabled", as: Bool.self),
                    role: try row.decode(column: "role", as: String.self))
            }
        }
        return found
    }

    static func digest(_ bytes: some DataProtocol) -> String {
        Hex.encode(SHA256.hash(data: bytes))
    }

    /// Compared when the uuid is unknown, so both failures cost the same.
    static let decoyDigest = digest(Array("signaldesk-no-such-webhook".utf8))

    /// Stores the alert as a `CREATED` signal unless it repeats an earlier one.
    func accept(
        _ alert: TradingViewAlert, body: [UInt8], endpoint: WebhookStatements.Endpoint, source: SignalSource,
        now: Date? = nil
    ) async throws -> Outcome {
        let now = now ?? app.wallClock.now()
        let endpointID = endpoint.id
        let userID = endpoint.userID
        let bodyHash = Self.digest(body)
        let key: String
        if let alertID = alert.alertID {
            key = "id:" + alertID
        } else {
            // Without an id the same body inside the window is the same alert. Twins are
            // serialized per (webhook, body hash) so the second one sees the first; the key only
            // has to be unique, and it still collides if the clock gives two twins the same
            // millisecond.
            key = "body:\(bodyHash.prefix(32)):\(Int64((now.timeIntervalSince1970 * 1000).rounded(.down)))"
        }
        let exchange = alert.exchange ?? .binance
        let signal = NewSignal(
            userID: userID, symbol: alert.symbol.formatted(exchange.symbolStyle),
            module: alert.strategy ?? "tradingview",
            side: alert.side ?? .long, exchange: exchange.rawValue, source: source.rawValue, orderType: alert.orderType,
            action: alert.action == .close ? "close" : "open", entryPrice: alert.price, stopLoss: alert.stopLoss,
            takeProfit: alert.takeProfit, qty: alert.qty, webhookID: endpointID, alertID: key, bodyHash: bodyHash,
            createdAt: now)
        let details: [String: AuditValue] = [
            "source": .string(source.rawValue), "symbol": .string(signal.symbol),
            "action": .string(alert.action.rawValue),
            "exchange": .string(exchange.rawValue), "alert_id": alert.alertID.map(AuditValue.string) ?? .null,
        ]
        /// A twin (same alert id, or same body in the same millisecond) was stored first.
        func twin() async throws -> Outcome? {
            guard
                let earlier = try await Signal.query(on: db).filter(\.$webhookID == endpointID).filter(
                    \.$alertID == key
                ).first()
            else { return nil }
            return try await duplicate(earlier, userID: userID, alert: alert)
        }
        do {
            if alert.alertID == nil {
                if let earlier = try await insertUnlessRepeated(
                    signal, details: details, endpointID: endpointID, bodyHash: bodyHash, now: now)
                {
                    return try await duplicate(earlier, userID: userID, alert: alert)
                }
            } else if let batcher = app.webhookInsertBatcher {
                let stored = try await batcher.submit(
                    WebhookStatements.Accepted(signal: signal, details: try AuditLog.detailsJSON(details)))
                if !stored {
                    // Its alert id is taken; the signal holding it was deleted since only if its
                    // user was removed in between.
                    guard let outcome = try await twin() else { throw Failure.alertIDTaken }
                    return outcome
                }
            } else {
                try await db.transaction { tx in
                    try await signal.insert(auditedAs: .webhookAccepted, details: details, on: tx)
                }
            }
        } catch {
            guard (error as? any DatabaseError)?.isConstraintFailure == true, let outcome = try await twin() else {
                throw error
            }
            return outcome
        }
        app.metrics.signalCreated(source: source.rawValue)
        if let price = alert.price {
            await app.marketPrices.update(signal.symbol, price)
            app.priceWakeup.signal()
        }
        app.signalWakeup.signal()
        return .accepted(signal.id)
    }

    /// `pg_advisory_xact_lock(class, key)` class of alert bodies ("SDwb" in ASCII). The two-key
    /// form has its own key space, apart from the one-key locks (the audit sealer's).
    static let bodyLockClass: Int32 = 0x5344_7762

    /// The lock key of one (webhook, body hash): 32 bits of their SHA-256. Two bodies that share
    /// a key only wait for each other; they are still compared by their full hash.
    static func bodyLockKey(webhookID: UUID, bodyHash: String) -> Int32 {
        let digest = Array(SHA256.hash(data: Array("\(webhookID.uuidString):\(bodyHash)".utf8)))
        return Int32(bitPattern: digest[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    /// An alert without an id: in one transaction that holds a lock on its (webhook, body hash),
    /// looks for the same body inside the window and stores the signal only if there is none.
    /// Returns the earlier signal when there is one. The lock is what makes this exact: two
    /// twins cannot both look before either inserts, on any number of server instances
    /// (PostgreSQL), and SQLite's transactions take the single write lock first.
    private func insertUnlessRepeated(
        _ signal: NewSignal, details: [String: AuditValue], endpointID: UUID, bodyHash: String, now: Date
    ) async throws -> Signal? {
        let since = now.addingTimeInterval(-Self.duplicateWindow)
        return try await TradingTransactions(app: app, db: db).run { tx in
            if let sql = tx as? any SQLDatabase, sql.dialect.name == "postgresql" {
                let key = Self.bodyLockKey(webhookID: endpointID, bodyHash: bodyHash)
                try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: Self.bodyLockClass), \(bind: key))").run()
            }
            if let earlier = try await Signal.query(on: tx)
                .filter(\.$webhookID == endpointID).filter(\.$bodyHash == bodyHash).filter(\.$createdAt > since)
                .sort(\.$createdAt).first()
            {
                return earlier
            }
            try await signal.insert(auditedAs: .webhookAccepted, details: details, on: tx)
            return nil
        }
    }

    private func duplicate(_ earlier: Signal, userID: UUID, alert: TradingViewAlert) async throws -> Outcome {
        let id = try earlier.requireID()
        try await AuditLog.record(
            AuditAction.webhookDuplicate, userID: userID, entityType: "signal", entityID: id.uuidString,
            details: ["alert_id": alert.alertID.map(AuditValue.string) ?? .null], on: db)
        return .duplicate(id)
    }
}

extension Application {
    private struct WebhookEndpointBatcherKey: StorageKey {
        typealias Value = StatementBatcher<String, WebhookStatements.Endpoint?>
    }

    /// PostgreSQL only: groups the endpoint lookups of concurrent webhook alerts (installed by `configure`).
    var webhookEndpointBatcher: StatementBatcher<String, WebhookStatements.Endpoint?>? {
        get { storage[WebhookEndpointBatcherKey.self] }
        set { storage[WebhookEndpointBatcherKey.self] = newValue }
    }

    /// A batcher that looks up each group of webhook uuids with one statement.
    func makeWebhookEndpointBatcher() -> StatementBatcher<String, WebhookStatements.Endpoint?> {
        postgresBatcher(WebhookStatements.lookUp)
    }

    private struct WebhookInsertBatcherKey: StorageKey {
        typealias Value = StatementBatcher<WebhookStatements.Accepted, Bool>
    }

    /// PostgreSQL only: groups the inserts of concurrent webhook alerts (installed by `configure`).
    var webhookInsertBatcher: StatementBatcher<WebhookStatements.Accepted, Bool>? {
        get { storage[WebhookInsertBatcherKey.self] }
        set { storage[WebhookInsertBatcherKey.self] = newValue }
    }

    /// A batcher that stores each group of accepted alerts with one statement.
    func makeWebhookInsertBatcher() -> StatementBatcher<WebhookStatements.Accepted, Bool> {
        postgresBatcher(WebhookStatements.storeAccepted)
    }

    /// A batcher whose groups run `statement` on this application's PostgreSQL. The database
    /// handles (one per event loop, each with its own connection pool) are made once and taken in
    /// turn: making one per group (`db(.psql)`) took the databases' lock and built a driver
    /// context every time, 2 % of the server's CPU under load.
    private func postgresBatcher<Item, Output>(
        _ statement: @escaping @Sendable ([Item], any PostgresDatabase, Logger) async throws -> [Output]
    ) -> StatementBatcher<Item, Output> {
        let logger = logger
        let handles = eventLoopGroup.makeIterator().compactMap { loop in
            databases.database(.psql, logger: logger, on: loop) as? any PostgresDatabase
        }
        let turn = NIOLockedValueBox(0)
        return StatementBatcher { [weak self] items in
            // `self` is gone only after the application has shut down.
            guard self != nil, !handles.isEmpty else { throw ServiceError.stopping }
            let index = turn.withLockedValue { turn in
                turn = (turn + 1) % handles.count
                return turn
            }
            return try await statement(items, handles[index], logger)
        }
    }
}
