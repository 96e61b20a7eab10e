import Fluent
import SignalDeskCore
import Vapor

/// `PUT /ops/risk/users/{email}`: an admin sets a user's risk profile and capital base; the same
/// by user id, and read, at `/users/{id}/risk-settings` (crypto-saas's later paths).
struct RiskAdminController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.adminOnly.put("ops", "risk", "users", ":email", use: Self.update)
        routes.adminOnly.get("users", ":user_id", "risk-settings", use: Self.readByID)
        routes.adminOnly.put("users", ":user_id", "risk-settings", use: Self.updateByID)
    }

    struct Body: Content {
        let riskProfile: String?
        let capitalBaseUsd: Double?
    }

    /// The answer of `PUT /ops/risk/users/{email}`, as the contract gives it.
    struct Answer: Content {
        let userId: UUID
        let email: String
        let riskProfile: String
        let capitalBaseUsd: Double

        init(userID: UUID, user: User, limits: RiskLimits) {
            userId = userID
            email = user.email
            riskProfile = limits.profileName
            capitalBaseUsd = limits.capitalBaseUSD
        }
    }

    /// The answer of `/users/{id}/risk-settings`: the same, and the most one trade may risk
    /// (capital × the profile's risk per trade).
    struct Settings: Content {
        let userId: UUID
        let email: String
        let riskProfile: String
        let capitalBaseUsd: Double
        let maxRiskAmountUsd: Double

        init(_ answer: Answer, limits: RiskLimits) {
            userId = answer.userId
            email = answer.email
            riskProfile = answer.riskProfile
            capitalBaseUsd = answer.capitalBaseUsd
            maxRiskAmountUsd = limits.maxRiskPerTrade
        }
    }

    @Sendable static func update(req: Request) async throws -> Answer {
        let body = try req.content.decode(Body.self)
        let profile = try await checked(body, req: req)
        let email = EmailAddress.normalized(req.parameters.get("email") ?? "")
        guard let user = try await User.query(on: req.db).filter(\.$email == email).first() else {
            throw APIError(.notFound, "User not found")
        }
        return try await apply(body, profile: profile, to: user, req: req)
    }

    /// `GET /users/{id}/risk-settings` (issue 25, group 11; crypto-saas's per-user settings).
    @Sendable static func readByID(req: Request) async throws -> Settings {
        let user = try await user(byID: req)
        let limits = try await PositionBook(app: req.application, db: req.db).limits(for: user)
        return Settings(Answer(userID: try user.requireID(), user: user, limits: limits), limits: limits)
    }

    /// `PUT /users/{id}/risk-settings`: the same change as `PUT /ops/risk/users/{email}`, by id.
    @Sendable static func updateByID(req: Request) async throws -> Settings {
        let body = try req.content.decode(Body.self)
        let profile = try await checked(body, req: req)
        let user = try await user(byID: req)
        let answer = try await apply(body, profile: profile, to: user, req: req)
        return Settings(answer, limits: try await PositionBook(app: req.application, db: req.db).limits(for: user))
    }

    static func user(byID req: Request) async throws -> User {
        guard let userID = req.parameters.get("user_id").flatMap(UUID.init(uuidString:)) else {
            throw APIError(
                .unprocessableEntity,
                items: [.init(loc: ["path", "user_id"], msg: "user_id must be a UUID", type: "uuid_parsing")])
        }
        guard let user = try await User.find(userID, on: req.db) else { throw APIError(.notFound, "User not found") }
        return user
    }

    /// The body's fields, checked: 422 naming each wrong one (nothing changes). A profile is one of
    /// the catalog's: the built-in ones and those an admin stored (`PUT /ops/admin/risk/profiles`).
    static func checked(_ body: Body, req: Request) async throws -> String? {
        var problems: [APIError.ValidationItem] = []
        let catalog = try await req.application.tradingSettings.current(on: req.db).profiles
        if let name = body.riskProfile, catalog.limits(named: name) == nil {
            problems.append(
                .init(
                    loc: ["body", "risk_profile"],
                    msg: "risk_profile must be one of: \(catalog.names.joined(separator: ", "))",
                    type: "enum"))
        }
        if let capital = body.capitalBaseUsd, !InputCaps.acceptsCapitalBase(capital) {
            problems.append(
                .init(
                    loc: ["body", "capital_base_usd"],
                    msg: "capital_base_usd must be a positive finite number of at most 1000000000000",
                    type: "value_error"))
        }
        if body.riskProfile == nil && body.capitalBaseUsd == nil {
            problems.append(.init(loc: ["body"], msg: "give risk_profile, capital_base_usd or both", type: "missing"))
        }
        guard problems.isEmpty else { throw APIError(.unprocessableEntity, items: problems) }
        return body.riskProfile
    }

    static func apply(_ body: Body, profile: String?, to user: User, req: Request) async throws -> Answer {
        let caller = try req.caller
        let userID = try user.requireID()
        if let profile { user.riskProfile = profile }
        if let capital = body.capitalBaseUsd { user.capitalBaseUSD = capital }
        let limits = try await PositionBook(app: req.application, db: req.db).limits(for: user)
        let email = user.email
        try await req.application.stores.transactions.run(on: req.db) { tx in
            try await user.save(on: tx)
            try await AuditLog.record(
                AuditAction.riskProfileUpdated, userID: caller.id, entityType: "user", entityID: userID.uuidString,
                details: [
                    "target_email": .string(email), "risk_profile": .string(limits.profileName),
                    "capital_base_usd": .double(limits.capitalBaseUSD),
                ], on: tx)
        }
        return Answer(userID: userID, user: user, limits: limits)
    }
}
