import Fluent
import SignalDeskCore
import Vapor

/// `/ops/admin/kill-switch`: admins halt, resume and read it (viewers see it in the dashboard summary).
struct KillSwitchController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.adminOnly.get("ops", "admin", "kill-switch", use: Self.read)
        routes.adminOnly.post("ops", "admin", "kill-switch", use: Self.set)
    }

    struct Body: Content {
        let enabled: Bool
        let reason: String?
    }

    struct Answer: Content {
        let enabled: Bool
        @NullEncodable var reason: String?
        @NullEncodable var updatedAt: Date?
        @NullEncodable var updatedBy: UUID?

        init(_ state: KillSwitch.State) {
            enabled = state.enabled
            reason = state.reason
            updatedAt = state.updatedAt
            updatedBy = state.updatedBy
        }
    }

    @Sendable static func read(req: Request) async throws -> Answer {
        Answer(try await req.application.killSwitch.state(on: req.db))
    }

    @Sendable static func set(req: Request) async throws -> Answer {
        let caller = try req.caller
        let body = try req.content.decode(Body.self)
        let reason = body.reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if body.enabled, (reason ?? "").isEmpty {
            throw APIError(
                .unprocessableEntity,
                items: [.init(loc: ["body", "reason"], msg: "a reason is required to halt trading", type: "missing")])
        }
        if let reason, reason.count > 500 {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(loc: ["body", "reason"], msg: "reason must be at most 500 characters", type: "value_error")
                ])
        }
        let state = KillSwitch.State(
            enabled: body.enabled, reason: body.enabled ? reason : nil, updatedAt: req.application.wallClock.now(),
            updatedBy: caller.id)
        try await req.application.stores.transactions.run(on: req.db) { tx in
            try await req.application.killSwitch.set(state, on: tx)
            try await AuditLog.record(
                body.enabled ? AuditAction.opsKillSwitchOn : AuditAction.opsKillSwitchOff, userID: caller.id,
                entityType: "settings",
                entityID: KillSwitch.key, details: ["reason": reason.map(AuditValue.string) ?? .null], on: tx)
        }
        return Answer(state)
    }
}
