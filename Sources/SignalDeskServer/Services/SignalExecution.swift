import Fluent
import Foundation
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// Executes one claimed webhook signal: pretrade checks, sizing, the venue order and the
/// bookkeeping, each step recorded.
///
/// Crash safety: the order row is written `PENDING` (unique client order id, derived from the
/// signal id) before the venue is called. A later attempt at the same signal finds that row and
/// asks the venue about the client id before ordering, so an order the venue accepted is booked,
/// never placed twice. An answer that is unknown (timeout, 5xx) is resolved the same way.
struct SignalExecution {
    let app: Application

    var db: any Database { app.db }
    var config: AppConfig { app.appConfig }

    /// Test hook: runs after the venue accepted an order and before the bookkeeping commits.
    typealias Fault = @Sendable (Signal) async throws -> Void

    static func clientOrderID(_ signalID: UUID, index: Int? = nil) -> String {
        let hex = signalID.uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        guard let index else { return "sd" + hex }
        return "sc" + hex.prefix(30) + String(format: "%02d", index)
    }

    func execute(_ signal: Signal) async {
        do {
            if signal.action == .close {
                try await executeClose(signal)
            } else {
                try await executeOpen(signal)
            }
        } catch {
            // Left EXECUTING: the lease returns it for one more attempt, which starts by asking the venue.
            app.logger.error("Signal \(signal.id?.uuidString ?? "?") execution stopped: \(String(reflecting: error))")
        }
    }

    /// The venue and credentials for a signal under EXECUTION_MODE.
    func venue(for exchange: Exchange, userID: UUID) async throws -> (any Venue, VenueCredentials?) {
        switch config.executionMode {
        case .paper:
            return (app.venues.paper, VenueCredentials(apiKey: "paper", apiSecret: "paper"))
        case .testnet, .live:
            let loaded = try await ExchangeCredentials.load(
                userID: userID, exchange: exchange, keyRing: config.keyRing, on: db)
            return (app.venues.venue(for: exchange), loaded?.0)
        }
    }

    /// What the locked step of an open decided.
    private enum OpenDecision: Sendable {
        /// Refused by these checks; nothing was reserved.
        case reject([String])
        /// An order was reserved now; place it.
        case place(qty: Double, price: Double?)
        /// An earlier attempt reserved this order (and may have placed it): ask the venue first.
        case resume(qty: Double, price: Double?)
    }

    /// Opens a position from a claimed signal in three steps:
    /// 1. ``PositionBook/decideOpen(userID:now:_:)``, the step every open goes through: under the
    ///    user's lock the pretrade and risk checks read the user's state, including opens still in
    ///    flight (``PositionBook/pendingOpens(userID:on:)``), and a passing signal reserves its
    ///    order row (`PENDING`) in the same transaction, so N alerts at once are limited exactly as
    ///    N one after another.
    /// 2. The venue call, outside any transaction.
    /// 3. Under the user's lock again, the fill is booked: order, position, audit, notification.
    func executeOpen(_ signal: Signal) async throws {
        let userID = signal.$user.id
        guard let user = try await User.find(userID, on: db) else { return try await reject(signal, ["user_missing"]) }
        // A stored exchange this build does not know is refused, never traded somewhere else.
        guard let exchange = Exchange(rawValue: signal.exchange) else {
            return try await reject(signal, ["exchange_unknown"])
        }
        let strategy = try await EffectiveStrategy.load(userID: userID, exchange: exchange, on: db)
        let book = PositionBook(app: app, db: db)
        let limits = book.limits(for: user)
        let (venue, credentials) = try await venue(for: exchange, userID: userID)
        var knownEntry = signal.entryPrice
        if knownEntry == nil { knownEntry = await app.marketPrices.last(signal.symbol) }
        let entry = knownEntry
        let rules = strategy.strategy.rules(on: exchange)
        let clientOrderID = Self.clientOrderID(try signal.requireID())
        let mode = config.executionMode
        let venueName = venue.name
        let configured = credentials != nil

        let now = app.wallClock.now()
        let decision: OpenDecision = try await book.decideOpen(userID: userID, now: now) { tx, risk in
            if let earlier = try await Order.query(on: tx).filter(\.$clientOrderID == clientOrderID).first() {
                return .resume(qty: earlier.qty, price: earlier.price)
            }
            // Alerts carry no timeframes or liquidity figures: those checks take the strategy's own
            // values; everything about the account and the levels is checked for real.
            let proposal = PretradeCheck.Proposal(
                rewardRisk: entry.flatMap {
                    PositionSizing.rewardRisk(entry: $0, stop: signal.stopLoss, take: signal.takeProfit)
                } ?? rules.minRewardRisk,
                trendTimeframe: rules.trendTimeframes[0], signalTimeframe: rules.signalTimeframes[0],
                timingTimeframe: rules.timingTimeframes[0],
                spreadBps: 0, slippageBps: 0, volume24hUSDT: rules.minVolume24hUSDT ?? 0)
            var failed = PretradeCheck.evaluate(
                exchange: exchange,
                account: .init(
                    strategyEnabled: strategy.enabled, strategy: strategy.strategy, secretConfigured: configured,
                    limits: limits, risk: risk),
                proposal: proposal, now: now
            ).filter { !$0.passed }.map(\.name)
            if mode == .live { failed.append("live_trading_not_enabled") }
            guard let entry else { return .reject(failed + ["price_unknown"]) }
            let qty =
                signal.qty
                ?? PositionSizing.quantity(
                    limits: limits, entry: entry, stop: signal.stopLoss, requestedRiskPct: signal.baseRiskPercent)
            guard let qty else { return .reject(failed + ["size_unknown"]) }
            if let stop = signal.stopLoss,
                RiskLimits.riskOf(qty: qty, entry: entry, stop: stop) > limits.maxRiskPerTrade + 1e-9
            {
                failed.append("risk_per_trade")
            }
            guard failed.isEmpty, configured else { return .reject(failed) }
            // The paper venue fills a market order at the alert's price: in a worker process of its
            // own the alert never reached this process's price cache.
            let price = signal.orderType == .limit || mode == .paper ? entry : nil
            let request = OrderRequest(
                symbol: signal.symbol, side: signal.side, qty: qty,
                type: OrderType(signal.orderType),
                price: price, clientOrderID: clientOrderID)
            // The user's lock is held and no row existed: the insert cannot meet a conflict, but
            // should it, the row is an earlier attempt's and the venue is asked first.
            let reserved = try await Self.reserveOrder(request, signal: signal, venueName: venueName, now: now, on: tx)
            return reserved ? .place(qty: qty, price: price) : .resume(qty: qty, price: price)
        }

        let qty: Double, price: Double?, earlierAttempt: Bool
        switch decision {
        case .reject(let reasons): return try await reject(signal, reasons)
        case .place(let q, let p): (qty, price, earlierAttempt) = (q, p, false)
        case .resume(let q, let p): (qty, price, earlierAttempt) = (q, p, true)
        }
        guard let credentials else { return try await reject(signal, ["exchange_secret_configured"]) }
        let request = OrderRequest(
            symbol: signal.symbol, side: signal.side, qty: qty, type: OrderType(signal.orderType),
            price: price, clientOrderID: clientOrderID)
        let reference = price ?? entry
        if let reference, await app.marketPrices.last(signal.symbol) == nil {
            // Give this process's position monitor a price to start from.
            await app.marketPrices.update(signal.symbol, reference)
        }
        guard
            let result = try await place(
                request, signal: signal, exchange: exchange, venue: venue, credentials: credentials,
                earlierAttempt: earlierAttempt)
        else { return }
        guard let fill = result.averagePrice ?? reference else {
            return try await fail(signal, message: "Venue reported no fill price")
        }
        let filledQty = result.filledQty > 0 ? result.filledQty : qty
        try await app.executionFault?(signal)
        try await book.withUserLock(userID) { tx in
            try await OrderStore().recordResult(
                result, clientOrderID: request.clientOrderID, now: app.wallClock.now(), on: tx)
            let filledAt = app.wallClock.now()
            let position = try await book.insertPosition(
                from: signal, qty: filledQty, entry: fill, fees: result.fees, userID: userID,
                day: book.calendar.day(of: filledAt), now: filledAt, on: tx)
            try await OrderStore().attachPosition(
                try position.requireID(), clientOrderID: request.clientOrderID, on: tx)
            try await AuditLog.record(
                AuditAction.executionOrderFilled, userID: userID, entityType: "order", entityID: request.clientOrderID,
                details: [
                    "venue": .string(venue.name), "symbol": .string(signal.symbol), "qty": .double(filledQty),
                    "price": .double(fill),
                ], on: tx)
            try await OutboxMessage(
                userID: userID,
                text: NotificationText.executed(
                    symbol: signal.symbol, side: signal.side.orderWord, qty: filledQty, price: fill, venue: venue.name),
                now: filledAt
            ).create(on: tx)
        }
        app.outboxWakeup?.signal()
        await app.marketPrices.update(signal.symbol, fill)
    }

    /// Writes the `PENDING` order row of `request`, unless one with its client order id exists.
    /// True when this call wrote it.
    static func reserveOrder(_ request: OrderRequest, signal: Signal, venueName: String, now: Date, on db: any Database)
        async throws -> Bool
    {
        try await OrderStore().reserve(
            request, userID: signal.$user.id, signalID: try signal.requireID(), venue: venueName, now: now, on: db)
    }

    /// Places `request` at most once: an existing order row means an earlier attempt, so the venue
    /// is asked first. Returns the venue's answer, or nil when the signal was failed or must wait.
    func placeOnce(
        _ request: OrderRequest, signal: Signal, exchange: Exchange, venue: any Venue, credentials: VenueCredentials
    ) async throws -> OrderResult? {
        let inserted = try await Self.reserveOrder(
            request, signal: signal, venueName: venue.name, now: app.wallClock.now(), on: db)
        return try await place(
            request, signal: signal, exchange: exchange, venue: venue, credentials: credentials,
            earlierAttempt: !inserted)
    }

    /// Sends the reserved order `request` to the venue. After an `earlierAttempt` the venue may
    /// already hold it, so it is asked about the client order id first.
    func place(
        _ request: OrderRequest, signal: Signal, exchange: Exchange, venue: any Venue, credentials: VenueCredentials,
        earlierAttempt: Bool
    ) async throws -> OrderResult? {
        if earlierAttempt {
            // An earlier attempt got this far: the venue may already hold the order.
            do {
                if let known = try await venue.queryOrder(
                    clientOrderID: request.clientOrderID, symbol: request.symbol, credentials: credentials)
                {
                    return known
                }
            } catch {
                try await setOrder(request.clientOrderID, .unknown, error: "\(error)")
                return nil
            }
        }
        do {
            return try await venue.placeOrder(request, credentials: credentials)
        } catch  where error.outcomeUnknown {
            if let known = try? await venue.queryOrder(
                clientOrderID: request.clientOrderID, symbol: request.symbol, credentials: credentials)
            {
                return known
            }
            try await setOrder(request.clientOrderID, .unknown, error: "\(error)")
            return nil
        } catch {
            try await setOrder(request.clientOrderID, .rejected, error: "\(error)")
            let message: String
            if venue.name == "PAPER", case .invalid(let reason) = error {
                message = "Paper order failed: \(reason)"
            } else {
                message = VenueFailureText.describe(
                    error, exchange: exchange,
                    credentials: credentials, timeout: config.venueTimeoutSeconds, action: "order")
            }
            try await fail(signal, message: message)
            return nil
        }
    }

    private func setOrder(_ clientOrderID: String, _ failure: OrderStore.PlacementFailure, error: String)
        async throws
    {
        try await OrderStore().recordFailure(
            failure, error: error, clientOrderID: clientOrderID, now: app.wallClock.now(), on: db)
    }

    func reject(_ signal: Signal, _ reasons: [String]) async throws {
        try await finish(
            signal, .reject, reasons: reasons, audit: AuditAction.signalRejected,
            text: NotificationText.rejected(symbol: signal.symbol, reasons: reasons))
    }

    func fail(_ signal: Signal, message: String) async throws {
        try await finish(
            signal, .fail, reasons: [message], audit: AuditAction.signalFailed,
            text: NotificationText.failed(symbol: signal.symbol, error: message))
    }

    private func finish(_ signal: Signal, _ event: SignalEvent, reasons: [String], audit: AuditAction, text: String)
        async throws
    {
        let now = app.wallClock.now()
        try await db.transaction { tx in
            try await PositionBook(app: app, db: tx).transition(signal, event, now: now, on: tx)
            try await SignalStateStore().setReasonCodes(reasons, signalID: try signal.requireID(), on: tx)
            try await AuditLog.record(
                audit, userID: signal.$user.id, entityType: "signal", entityID: signal.id?.uuidString,
                details: ["reasons": .string(reasons.joined(separator: ","))], on: tx, at: now)
            try await OutboxMessage(userID: signal.$user.id, text: text, now: now).create(on: tx)
        }
        app.outboxWakeup?.signal()
    }

    /// A close/exit alert: closes the user's open positions in the symbol at the venue's fill.
    func executeClose(_ signal: Signal) async throws {
        let userID = signal.$user.id
        let positions = try await Position.query(on: db)
            .filter(\.$user.$id == userID).filter(\.$symbol == signal.symbol).filter(\.$status == .open).all()
        guard !positions.isEmpty else { return try await reject(signal, ["no_open_position"]) }
        for (index, position) in positions.enumerated() {
            guard
                try await closePosition(
                    position, clientOrderID: Self.clientOrderID(try signal.requireID(), index: index),
                    reason: "signal_close", signal: signal)
            else { return }
        }
        try await db.transaction { tx in
            try await PositionBook(app: app, db: tx).transition(
                signal, .closedPosition, now: app.wallClock.now(), on: tx)
            try await AuditLog.record(
                AuditAction.executionClose, userID: userID, entityType: "signal", entityID: signal.id?.uuidString,
                details: ["positions": .int(positions.count), "symbol": .string(signal.symbol)], on: tx)
        }
    }

    /// Closes one position on its venue (the opposite order) and in the database. False when the
    /// venue refused or did not answer (the position stays open).
    func closePosition(_ position: Position, clientOrderID: String, reason: String, signal: Signal?) async throws
        -> Bool
    {
        guard let exchange = Exchange(rawValue: position.exchange) else {
            app.logger.error(
                "Position \(position.id?.uuidString ?? "?") has an unknown exchange \(position.exchange); not closed")
            if let signal { try await fail(signal, message: "Unknown exchange \(position.exchange)") }
            return false
        }
        let (venue, credentials) = try await venue(for: exchange, userID: position.$user.id)
        guard let credentials else {
            if let signal { try await fail(signal, message: "Missing credentials for \(exchange.rawValue)") }
            return false
        }
        let last = await app.marketPrices.last(position.symbol)
        let request = OrderRequest(
            symbol: position.symbol, side: position.side == .long ? .short : .long, qty: position.qty,
            price: config.executionMode == .paper ? last : nil, clientOrderID: clientOrderID)
        let result: OrderResult
        if let signal {
            guard
                let placed = try await placeOnce(
                    request, signal: signal, exchange: exchange, venue: venue, credentials: credentials)
            else { return false }
            result = placed
        } else {
            do {
                result = try await venue.placeOrder(request, credentials: credentials)
            } catch {
                app.logger.warning("Exit order for position \(position.id?.uuidString ?? "?") failed: \(error)")
                return false
            }
        }
        let exit = result.averagePrice ?? last ?? position.entryPrice
        _ = try await PositionBook(app: app, db: db).close(
            positionID: try position.requireID(), exitPrice: exit, fees: position.fees + result.fees, reason: reason,
            userID: position.$user.id, notify: true)
        app.outboxWakeup?.signal()
        return true
    }
}

extension Application {
    private struct FaultKey: StorageKey {
        typealias Value = SignalExecution.Fault
    }

    /// Test hook between venue acceptance and the bookkeeping commit (nil in production).
    var executionFault: SignalExecution.Fault? {
        get { storage[FaultKey.self] }
        set { storage[FaultKey.self] = newValue }
    }
}
