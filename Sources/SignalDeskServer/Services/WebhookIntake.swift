import Crypto
import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// The accept path of webhook alerts: duplicate detection and one small transaction (signal +
/// audit). Everything slow (pretrade, venue calls) happens in the worker after the reply.
///
/// On PostgreSQL, alerts with an id are stored through a ``StatementBatcher``
/// (``PostgresSignalWriteStore``): concurrent alerts share one statement and one commit (each still
/// answers only after its own signal and audit row are committed).
struct WebhookIntake {
    /// Identical bodies without an alert id within this many seconds are one alert.
    static let duplicateWindow: TimeInterval = 60

    let app: Application
    private let database: @Sendable () -> any Database

    /// `db` is made only when a path needs it: on PostgreSQL the usual accept path goes through
    /// the stores' batchers, and making a request's database handle is not free.
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

    /// The endpoint for `uuid`, with its owner's id and role (``WebhookEndpointStore``).
    static func endpoint(uuid: String, app: Application, on db: @autoclosure () -> any Database) async throws
        -> WebhookEndpointRow?
    {
        // Webhook uuids are UUIDs: anything else is unknown without asking the database (which
        // would refuse text such as a NUL character with an error instead of "no row").
        guard UUID(uuidString: uuid) != nil else { return nil }
        return try await app.stores.webhookEndpoints.endpoint(uuid: uuid, on: db())
    }

    /// The endpoint of `uuid` as an earlier lookup read it, if its secret digest is `digest` (one
    /// constant-time comparison), it is enabled and its owner is not disabled: an alert with that
    /// secret may be stored without a lookup, because ``accept(_:body:endpoint:source:now:)``
    /// stores it only if all of this still holds when it is written (PostgreSQL; SQLite remembers
    /// nothing). Anything else (not remembered, another secret, switched off) is nil: the caller
    /// reads the endpoint as it is now and answers from that.
    static func remembered(uuid: String, digest: String, app: Application) -> WebhookEndpointRow? {
        guard var row = app.stores.webhookEndpoints.remembered(uuid: uuid),
            ConstantTime.equals(digest, row.secretDigest), row.enabled, row.ownerRole != .disabled
        else { return nil }
        row.remembered = true
        return row
    }

    static func digest(_ bytes: some DataProtocol) -> String {
        Hex.encode(SHA256.hash(data: bytes))
    }

    /// Compared when the uuid is unknown, so both failures cost the same.
    static let decoyDigest = digest(Array("signaldesk-no-such-webhook".utf8))

    /// Stores the alert as a `CREATED` signal unless it repeats an earlier one.
    func accept(
        _ alert: TradingViewAlert, body: [UInt8], endpoint: WebhookEndpointRow, source: SignalSource,
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
            side: alert.side ?? .long, exchange: exchange, source: source, orderType: alert.orderType,
            action: alert.action == .close ? .close : .open, entryPrice: alert.price, stopLoss: alert.stopLoss,
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
        // Alerts without an id are stored by a transaction that does not check the endpoint again.
        if endpoint.remembered, alert.alertID == nil { throw WebhookEndpointChanged() }
        do {
            if alert.alertID == nil {
                if let earlier = try await insertUnlessRepeated(
                    signal, details: details, endpointID: endpointID, bodyHash: bodyHash, now: now)
                {
                    return try await duplicate(earlier, userID: userID, alert: alert)
                }
            } else if try await !app.stores.signalWrites.accept(
                signal, auditDetails: details, endpoint: endpoint, on: db)
            {
                // Its alert id is taken; the signal holding it was deleted since only if its user
                // was removed in between.
                guard let outcome = try await twin() else { throw Failure.alertIDTaken }
                return outcome
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

    /// An alert without an id: in one transaction that holds a lock on its (webhook, body hash),
    /// looks for the same body inside the window and stores the signal only if there is none.
    /// Returns the earlier signal when there is one. The lock is what makes this exact: two
    /// twins cannot both look before either inserts, on any number of server instances
    /// (PostgreSQL), and SQLite's transactions take the single write lock first.
    private func insertUnlessRepeated(
        _ signal: NewSignal, details: [String: AuditValue], endpointID: UUID, bodyHash: String, now: Date
    ) async throws -> Signal? {
        let since = now.addingTimeInterval(-Self.duplicateWindow)
        let transactions = app.stores.transactions
        return try await transactions.run(on: db) { tx in
            try await transactions.lock(.alertBody(webhookID: endpointID, bodyHash: bodyHash), on: tx)
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
