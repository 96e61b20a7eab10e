import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// Opening and closing positions: each one transaction, including the signal's transition and
/// the daily-risk row, under the user's lock (``TransactionStore``), so concurrent opens cannot
/// both pass a limit and concurrent closes cannot lose a trade.
struct PositionBook {
    let app: Application
    let db: any Database

    var config: AppConfig { app.appConfig }
    var calendar: TradingCalendar { TradingCalendar(timeZone: config.tradingDayTimeZone) }

    enum OpenFailure: Error {
        case notFound, notOwner, wrongStatus(SignalStatus), missingEntry, blocked(OpenBlock), subscriptionInactive
    }

    enum CloseFailure: Error {
        case notFound, notOwner, notOpen(PositionStatus)
        /// The exit price and fees give a realized PnL that is not finite or beyond
        /// ``InputCaps/maxAbsRealizedPnL``; nothing is booked.
        case pnlOutOfRange
    }

    /// The risk limits of `user`: their profile (with its limits as an admin last set them) and
    /// capital, or the configured defaults.
    func limits(for user: User) async throws -> RiskLimits {
        limits(for: user, profiles: try await app.tradingSettings.current(on: db).profiles)
    }

    func limits(for user: User, profiles: RiskProfileCatalog) -> RiskLimits {
        limits(storedProfile: user.riskProfile, email: user.email, capital: user.capitalBaseUSD, profiles: profiles)
    }

    func limits(storedProfile: String?, email: String, capital: Double?, profiles: RiskProfileCatalog) -> RiskLimits {
        profiles.limits(
            assigned: storedProfile, email: email, looseEmail: config.riskProfileLooseEmail,
            model2Email: config.riskProfileModel2Email, capitalBaseUSD: capital ?? config.defaultCapitalUSD)
    }

    /// Runs `body` in one ``TransactionStore`` transaction that holds `userID`'s lock: on PostgreSQL
    /// the user's row `FOR NO KEY UPDATE` (every instance waits for it), on SQLite the single writer.
    /// Everything that decides or books an open or a close for the user goes through here.
    func withUserLock<T: Sendable>(
        _ userID: UUID, durability: Durability = .beforeReturn,
        _ body: @escaping @Sendable (_ tx: any Database) async throws -> T
    ) async throws -> T {
        let transactions = app.stores.transactions
        return try await transactions.run(on: db, durability: durability) { tx in
            try await transactions.lock(.user(userID), on: tx)
            return try await body(tx)
        }
    }

    /// The one step in which every open is decided, by the API (``open(signalID:qty:for:now:)``)
    /// or the worker (``SignalExecution``): under the user's lock, `decide` gets the user's risk
    /// state at `now`, opens in flight included (``riskState(userID:day:on:)``), and books or
    /// reserves what it allows in the same transaction, so no other open can pass the same limit.
    func decideOpen<T: Sendable>(
        userID: UUID, now: Date, durability: Durability = .beforeReturn,
        _ decide: @escaping @Sendable (_ tx: any Database, _ state: OpenRiskCheck.State) async throws -> T
    ) async throws -> T {
        let day = calendar.day(of: now)
        return try await withUserLock(userID, durability: durability) { tx in
            try await decide(tx, try await riskState(userID: userID, day: day, on: tx))
        }
    }

    func open(signalID: UUID, qty: Double, for user: User, now: Date? = nil) async throws -> Position {
        let now = now ?? app.wallClock.now()
        let userID = try user.requireID()
        let limits = try await limits(for: user)
        let day = calendar.day(of: now)
        return try await decideOpen(userID: userID, now: now) { tx, state in
            guard let signal = try await Signal.find(signalID, on: tx) else { throw OpenFailure.notFound }
            guard signal.$user.id == userID else { throw OpenFailure.notOwner }
            guard signal.status == .executing else { throw OpenFailure.wrongStatus(signal.status) }
            guard let entry = signal.entryPrice else { throw OpenFailure.missingEntry }
            guard try await SubscriptionGate(app: app).allowsOpens(userID: userID, now: now, on: tx) else {
                throw OpenFailure.subscriptionInactive
            }

            var state = state
            let exposure = config.symbolExposure
            if exposure.isOn {
                state.symbolOpenQty =
                    try await RiskStateStore.openQtyBySymbol(userID: userID, on: tx)[signal.symbol.uppercased()] ?? 0
            }
            if let block = OpenRiskCheck(limits: limits, exposure: exposure).firstBlock(
                state: state, qty: qty, entry: entry, stop: signal.stopLoss, now: now)
            {
                throw OpenFailure.blocked(block)
            }

            return try await insertPosition(
                from: signal, qty: qty, entry: entry, fees: 0, userID: userID, day: day, now: now, on: tx)
        }
    }

    /// Creates the OPEN position of an `EXECUTING` signal, moves the signal to `OPENED`, ensures
    /// the day's risk row and writes `position.open`. Runs inside the caller's transaction.
    func insertPosition(
        from signal: Signal, qty: Double, entry: Double, fees: Double, userID: UUID, day: String, now: Date,
        on tx: any Database
    ) async throws -> Position {
        let position = Position()
        position.$user.id = userID
        position.$signal.id = signal.id
        position.symbol = signal.symbol
        position.exchange = signal.exchange
        position.side = signal.side
        position.qty = qty
        position.entryPrice = entry
        position.stopLoss = signal.stopLoss
        position.takeProfit = signal.takeProfit
        position.status = .open
        position.openedAt = now
        position.openedDay = day
        position.fees = fees
        try await position.create(on: tx)
        try await transition(signal, .open, now: now, on: tx)
        try await DailyRiskStore().ensureDailyRow(userID: userID, day: day, now: now, on: tx)
        try await AuditLog.record(
            AuditAction.positionOpen, userID: userID, entityType: "position", entityID: position.id?.uuidString,
            details: [
                "signal_id": .string(signal.id?.uuidString.lowercased() ?? ""), "symbol": .string(position.symbol),
                "qty": .double(qty),
                "entry_price": .double(entry), "side": .string(position.side.rawValue),
            ],
            on: tx, at: now)
        return position
    }

    /// Closes an open position. With an idempotency key, the answer is stored in the same
    /// transaction (scope `positions.close`) with the request's fingerprint (`requestHash`), so a
    /// repeated request can be answered from it and the key with another payload refused.
    func close(
        positionID: UUID, exitPrice: Double, fees: Double, reason: String?, userID: UUID,
        idempotencyKey: String? = nil, requestHash: String? = nil, notify: Bool = false, now: Date? = nil
    ) async throws -> Position {
        let now = now ?? app.wallClock.now()
        let day = calendar.day(of: now)
        return try await withUserLock(userID) { tx in
            guard let position = try await Position.find(positionID, on: tx) else { throw CloseFailure.notFound }
            guard position.$user.id == userID else { throw CloseFailure.notOwner }
            guard position.status == .open else { throw CloseFailure.notOpen(position.status) }
            let pnl = position.side.realizedPnL(
                entry: position.entryPrice, exit: exitPrice, qty: position.qty, fees: fees)
            guard InputCaps.acceptsRealizedPnL(pnl) else { throw CloseFailure.pnlOutOfRange }
            position.status = .closed
            position.closedAt = now
            position.closedDay = day
            position.exitPrice = exitPrice
            position.fees = fees
            position.realizedPnL = pnl
            position.closeReason = reason
            try await position.save(on: tx)
            if let signalID = position.$signal.id, let signal = try await Signal.find(signalID, on: tx),
                signal.status == .opened
            {
                try await transition(signal, .complete, now: now, on: tx)
            }
            try await DailyRiskStore().ensureDailyRow(userID: userID, day: day, now: now, on: tx)
            // An increment in SQL, so a concurrent close on another connection cannot be lost.
            try await DailyRiskStore().addClosedTrade(userID: userID, day: day, realizedPnL: pnl, now: now, on: tx)
            try await AuditLog.record(
                AuditAction.positionClose, userID: userID, entityType: "position", entityID: positionID.uuidString,
                details: [
                    "exit_price": .double(exitPrice), "fees": .double(fees), "realized_pnl": .double(pnl),
                    "close_reason": reason.map(AuditValue.string) ?? .null,
                ],
                on: tx, at: now)
            if notify {
                try await OutboxMessage(
                    userID: userID,
                    text: NotificationText.closed(symbol: position.symbol, pnl: pnl, reason: reason ?? "closed"),
                    now: now
                )
                .create(on: tx)
            }
            if let idempotencyKey {
                let record = IdempotencyRecord()
                record.$user.id = userID
                record.scope = Self.closeScope
                record.key = idempotencyKey
                record.requestHash = requestHash
                record.statusCode = 200
                record.responseBody = String(decoding: try JSONCoding.encode(PositionOut(position)), as: UTF8.self)
                record.createdAt = now
                try await record.create(on: tx)
            }
            return position
        }
    }

    static let closeScope = "positions.close"

    /// What the open checks look at. Read it inside a ``TransactionStore`` step that holds the
    /// user's lock (``WriterLock/user(_:)``) when an open follows from it: only
    /// then is the state still true when the open is booked or reserved.
    func riskState(userID: UUID, day: String, on db: any Database) async throws -> OpenRiskCheck.State {
        try await RiskStateStore.state(userID: userID, day: day, on: db)
    }

    /// Moves `signal` through the lifecycle; a conditional update, so a concurrent change fails
    /// instead of being overwritten.
    /// With `reasons`, its reason codes are written in the same statement.
    func transition(
        _ signal: Signal, _ event: SignalEvent, reasons: [String]? = nil, now: Date, on db: any Database
    ) async throws {
        let next = try signal.status.applying(event)
        let changed = try await SignalStateStore().transitionSignal(
            try signal.requireID(), from: signal.status, to: next, reasons: reasons, now: now, on: db)
        guard changed else { throw IllegalSignalTransition(from: signal.status, event: event) }
        signal.status = next
    }
}
