import Fluent
import SignalDeskCore
import Vapor

/// `PUT /ops/risk/users/{email}`: an admin sets a user's risk profile and capital base.
struct RiskAdminController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.adminOnly.put("ops", "risk", "users", ":email", use: Self.update)
    }

    struct Body: Content {
        let riskProfile: String?
        let capitalBaseUsd: Double?
    }

    struct Answer: Content {
        let userId: UUID
        let email: String
        let riskProfile: String
        let capitalBaseUsd: Double
    }

    @Sendable static func update(req: Request) async throws -> Answer {
        let caller = try req.caller
        let body = try req.content.decode(Body.self)
        var problems: [APIError.ValidationItem] = []
        let profile = body.riskProfile.map { RiskProfile(rawValue: $0) }
        if profile == .some(nil) {
            problems.append(
                .init(
                    loc: ["body", "risk_profile"],
                    msg: "risk_profile must be one of: \(RiskProfile.allCases.map(\.rawValue).joined(separator: ", "))",
                    type: "enum"))
        }
        if let capital = body.capitalBaseUsd, !(capital.isFinite && capital > 0) {
            problems.append(
                .init(
                    loc: ["body", "capital_base_usd"], msg: "capital_base_usd must be a positive finite number",
                    type: "value_error"))
        }
        if body.riskProfile == nil && body.capitalBaseUsd == nil {
            problems.append(.init(loc: ["body"], msg: "give risk_profile, capital_base_usd or both", type: "missing"))
        }
        guard problems.isEmpty else { throw APIError(.unprocessableEntity, items: problems) }
        let email = EmailAddress.normalized(req.parameters.get("email") ?? "")
        guard let user = try await User.query(on: req.db).filter(\.$email == email).first(), let userID = user.id else {
            throw APIError(.notFound, "User not found")
        }
        if let profile = profile.flatMap({ $0 }) { user.riskProfile = profile.rawValue }
        if let capital = body.capitalBaseUsd { user.capitalBaseUSD = capital }
        let limits = PositionBook(app: req.application, db: req.db).limits(for: user)
        try await req.application.stores.transactions.run(on: req.db) { tx in
            try await user.save(on: tx)
            try await AuditLog.record(
                AuditAction.riskProfileUpdated, userID: caller.id, entityType: "user", entityID: userID.uuidString,
                details: [
                    "target_email": .string(email), "risk_profile": .string(limits.profile.rawValue),
                    "capital_base_usd": .double(limits.capitalBaseUSD),
                ], on: tx)
        }
        return Answer(
            userId: userID, email: email, riskProfile: limits.profile.rawValue, capitalBaseUsd: limits.capitalBaseUSD)
    }
}
