import Fluent
import SignalDeskCore
import Vapor

/// Subscriptions (issue 24, API.md "Subscriptions"): the caller's own, and the admin's view and
/// changes.
struct SubscriptionsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.authenticated.get("subscription", use: Self.mine)
        routes.adminOnly.put("ops", "admin", "subscriptions", ":email", use: Self.update)
        routes.opsReaders.get("ops", "admin", "subscriptions", use: Self.list)
    }

    /// `GET /subscription`.
    struct Mine: Content {
        @NullEncodable var plan: String?
        let status: SubscriptionStatus
        @NullEncodable var currentPeriodEnd: Date?
        @NullEncodable var daysLeft: Int?

        init(_ terms: SubscriptionTerms, now: Date) {
            plan = terms.plan
            status = terms.status
            currentPeriodEnd = terms.periodEnd
            daysLeft = terms.daysLeft(at: now)
        }
    }

    /// One user in `GET /ops/admin/subscriptions`, and the answer of the `PUT`.
    struct Row: Content {
        let userId: UUID
        @NullEncodable var email: String?
        @NullEncodable var plan: String?
        let status: SubscriptionStatus
        @NullEncodable var currentPeriodEnd: Date?
        @NullEncodable var daysLeft: Int?
        /// Whether SignalDesk would execute an open for this user now (with SUBSCRIPTION_REQUIRED).
        let allowsTrading: Bool
        @NullEncodable var updatedAt: Date?

        init(userID: UUID, email: String?, subscription: UserSubscription?, now: Date) {
            let terms = subscription?.terms ?? .none
            userId = userID
            self.email = email
            plan = terms.plan
            status = terms.status
            currentPeriodEnd = terms.periodEnd
            daysLeft = terms.daysLeft(at: now)
            allowsTrading = terms.allowsTrading(at: now)
            updatedAt = subscription?.updatedAt
        }
    }

    struct Body: Content {
        let plan: String?
        let status: String?
        let currentPeriodEnd: String?
    }

    @Sendable static func mine(req: Request) async throws -> Mine {
        let caller = try req.caller
        let terms = try await SubscriptionStore().terms(userID: caller.id, on: req.db)
        return Mine(terms, now: req.application.wallClock.now())
    }

    @Sendable static func update(req: Request) async throws -> Row {
        let caller = try req.caller
        let body = try req.content.decode(Body.self)
        let update: SubscriptionUpdate
        switch SubscriptionUpdate.check(plan: body.plan, status: body.status, periodEnd: body.currentPeriodEnd) {
        case .success(let checked): update = checked
        case .failure(let list):
            throw APIError(
                .unprocessableEntity,
                items: list.problems.map { .init(loc: ["body", $0.field], msg: $0.message, type: "value_error") })
        }
        let email = EmailAddress.normalized(req.parameters.get("email") ?? "")
        guard let user = try await User.query(on: req.db).filter(\.$email == email).first(), let userID = user.id else {
            throw APIError(.notFound, "User not found")
        }
        let row = try await req.application.stores.transactions.run(on: req.db) { tx in
            let row = try await SubscriptionStore().set(update, userID: userID, by: caller.id, on: tx)
            var details: [String: AuditValue] = [
                "target_email": .string(email), "plan": .string(update.plan), "status": .string(update.status.rawValue),
            ]
            details["current_period_end"] =
                update.periodEnd.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null
            try await AuditLog.record(
                AuditAction.subscriptionUpdate, userID: caller.id, entityType: "user", entityID: userID.uuidString,
                details: details, on: tx)
            return row
        }
        return Row(userID: userID, email: user.email, subscription: row, now: req.application.wallClock.now())
    }

    @Sendable static func list(req: Request) async throws -> [Row] {
        let status: SubscriptionStatus?
        if let raw = req.query[String.self, at: "status"] {
            guard let parsed = SubscriptionStatus(rawValue: raw) else {
                throw APIError(
                    .unprocessableEntity,
                    items: [
                        .init(
                            loc: ["query", "status"],
                            msg: "status must be one of: "
                                + SubscriptionStatus.allCases.map(\.rawValue).joined(separator: ", "),
                            type: "enum")
                    ])
            }
            status = parsed
        } else {
            status = nil
        }
        let now = req.application.wallClock.now()
        return try await SubscriptionStore().everyone(on: req.db).compactMap { user, subscription in
            guard let userID = user.id else { return nil }
            let row = Row(userID: userID, email: user.email, subscription: subscription, now: now)
            return status == nil || row.status == status ? row : nil
        }
    }
}
