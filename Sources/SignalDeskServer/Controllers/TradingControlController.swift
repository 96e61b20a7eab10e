import Fluent
import SignalDeskCore
import Vapor

/// `/ops/admin/trading-control` (issue 25, group 5; crypto-saas's later name for the kill switch):
/// `{"trading_enabled","reason"}` is the kill switch seen the other way round, one state with two
/// views. Disabling trading here engages the kill switch (and the reverse), with the same audit
/// actions (`ops.kill_switch.on|off`, `via: trading_control`).
struct TradingControlController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.adminOnly.get("ops", "admin", "trading-control", use: Self.read)
        routes.adminOnly.post("ops", "admin", "trading-control", use: Self.set)
    }

    struct Body: Content {
        let tradingEnabled: Bool
        let reason: String?
    }

    struct Answer: Content {
        let tradingEnabled: Bool
        /// The email of whoever set the state last (null before anyone did).
        @NullEncodable var updatedBy: String?
        @NullEncodable var reason: String?
        @NullEncodable var updatedAt: Date?
    }

    /// The shortest reason that disables trading (crypto-saas's rule).
    static let minimumReasonLength = 8

    static func answer(_ state: KillSwitch.State, on db: any Database) async throws -> Answer {
        var email: String?
        if let updatedBy = state.updatedBy { email = try await User.find(updatedBy, on: db)?.email }
        return Answer(
            tradingEnabled: !state.enabled, updatedBy: email, reason: state.reason, updatedAt: state.updatedAt)
    }

    @Sendable static func read(req: Request) async throws -> Answer {
        try await answer(try await req.application.killSwitch.state(on: req.db), on: req.db)
    }

    @Sendable static func set(req: Request) async throws -> Answer {
        let caller = try req.caller
        let body = try req.content.decode(Body.self)
        let reason = body.reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if !body.tradingEnabled, (reason ?? "").count < minimumReasonLength {
            throw APIError(.badRequest, "reason is required when disabling trading (at least 8 characters)")
        }
        if let reason, reason.count > 500 {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(loc: ["body", "reason"], msg: "reason must be at most 500 characters", type: "value_error")
                ])
        }
        let halt = !body.tradingEnabled
        let state = KillSwitch.State(
            enabled: halt, reason: halt ? reason : nil, updatedAt: req.application.wallClock.now(),
            updatedBy: caller.id)
        try await req.application.stores.transactions.run(on: req.db) { tx in
            try await req.application.killSwitch.set(state, on: tx)
            try await AuditLog.record(
                halt ? AuditAction.opsKillSwitchOn : AuditAction.opsKillSwitchOff, userID: caller.id,
                entityType: "settings", entityID: KillSwitch.key,
                details: ["reason": reason.map(AuditValue.string) ?? .null, "via": "trading_control"], on: tx)
        }
        return try await answer(state, on: req.db)
    }
}

/// The checks that refuse work while trading is globally disabled.
enum TradingControl {
    /// 409 `Trading is globally disabled by admin kill-switch` while the kill switch is engaged,
    /// audited as `execution.blocked.kill_switch` (crypto-saas's answer for pretrade checks; opens
    /// keep API.md's `Trading halted: <reason>`).
    static func requireTradingEnabled(_ req: Request, caller: AuthenticatedUser, action: String, exchange: Exchange)
        async throws
    {
        guard try await req.application.killSwitch.state(on: req.db).enabled else { return }
        try await AuditLog.record(
            AuditAction.executionBlockedKillSwitch, userID: caller.id, entityType: "execution",
            details: ["action": .string(action), "exchange": .string(exchange.rawValue)], on: req.db)
        throw APIError(.conflict, "Trading is globally disabled by admin kill-switch")
    }
}
