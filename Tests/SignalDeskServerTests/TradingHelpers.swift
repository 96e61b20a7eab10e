import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

extension Client {
    func createSignal(
        _ token: String, entry: Double = 100, stop: Double = 95, take: Double = 110, symbol: String = "BTCUSDT"
    ) async throws -> String {
        let response = try await send(
            .POST, "signals", token: token,
            json: [
                "symbol": symbol, "module": "swing", "base_risk_percent": 0.5,
                "entry_price": entry, "stop_loss": stop, "take_profit": take,
            ])
        guard response.status == .ok, let id = response.json()["id"] as? String else {
            throw TestFailure("create signal: \(response.status) \(response.body.string)")
        }
        return id
    }

    func claim(_ token: String, limit: Int = 10) async throws -> [[String: Any]] {
        let response = try await send(.POST, "signals/claim?limit=\(limit)", token: token)
        guard response.status == .ok else { throw TestFailure("claim: \(response.status) \(response.body.string)") }
        return (try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]]) ?? []
    }

    func open(_ token: String, signal: String, qty: Double) async throws -> TestingHTTPResponse {
        try await send(.POST, "positions/open_from_signal?signal_id=\(signal)&qty=\(qty)", token: token)
    }

    func close(_ token: String, position: String, exit: Double, fees: Double = 0, key: String? = nil) async throws
        -> TestingHTTPResponse
    {
        var headers = HTTPHeaders()
        if let key { headers.add(name: "Idempotency-Key", value: key) }
        return try await send(
            .POST, "positions/close?position_id=\(position)&exit_price=\(exit)&fees=\(fees)", token: token,
            headers: headers)
    }

    /// Creates, claims and opens a signal; returns the position id.
    func openPosition(_ token: String, qty: Double = 1, entry: Double = 100, stop: Double = 95, take: Double = 110)
        async throws -> String
    {
        let signal = try await createSignal(token, entry: entry, stop: stop, take: take)
        _ = try await claim(token)
        let opened = try await open(token, signal: signal, qty: qty)
        guard opened.status == .ok, let id = opened.json()["id"] as? String else {
            throw TestFailure("open: \(opened.status) \(opened.body.string)")
        }
        return id
    }

    /// Moves every open and close of the user's positions back in time, past any cooldown.
    func backdateActivity(hours: Double = 2) async throws {
        let past = Date().addingTimeInterval(-hours * 3600)
        let sql = app.db as! any SQLDatabase
        try await sql.raw("UPDATE positions SET opened_at = \(bind: past)").run()
        try await sql.raw("UPDATE positions SET closed_at = \(bind: past) WHERE closed_at IS NOT NULL").run()
    }

    func auditCount(_ action: String) async throws -> Int {
        try await AuditEntry.query(on: app.db).filter(\.$action == action).count()
    }
}

extension Signal {
    /// A webhook signal as the intake stores it (BTCUSDT long at 100, stop 95, take 110), for tests
    /// that put rows in place directly; `adjust` changes what the test is about.
    static func webhookRow(userID: UUID, status: SignalStatus = .created, adjust: (Signal) -> Void = { _ in }) -> Signal
    {
        let signal = Signal()
        signal.$user.id = userID
        signal.symbol = "BTCUSDT"
        signal.module = "tv"
        signal.side = .long
        signal.exchange = "BINANCE"
        signal.source = .tradingview
        signal.orderType = .market
        signal.action = .open
        signal.entryPrice = 100
        signal.stopLoss = 95
        signal.takeProfit = 110
        signal.status = status
        signal.reasonCodes = []
        signal.leaseCount = status == .created ? 0 : 1
        signal.createdAt = Date()
        signal.updatedAt = signal.createdAt
        adjust(signal)
        return signal
    }
}
