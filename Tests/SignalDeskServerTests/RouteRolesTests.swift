import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// Every registered route × every kind of caller, against the roles contract.md gives (issue 19,
/// item 4). A route missing from ``RouteRolesTests/access`` fails the first test, so a new route
/// cannot ship without a decision about who may call it.
@Suite struct RouteRolesTests {
    /// Who may call a route.
    enum Access: String {
        /// No authentication (health, docs, sign-in, the dashboard page itself).
        case open
        /// Authenticated by the webhook's own secret or signature; a bearer token grants nothing.
        case webhookSecret
        /// Any signed-in user whose role is not `disabled`.
        case anyUser
        /// Admins and traders (the execution checks and orders; viewers are read-only).
        case trading
        /// Admins and viewers (read-only ops).
        case opsReader
        /// Admins only.
        case admin
    }

    /// The decision for every route (method and Vapor's path, parameters as `:name`).
    static let access: [String: Access] = [
        "GET /": .open,
        "GET /healthz": .open,
        "GET /live": .open,
        "GET /ready": .open,
        "GET /metrics": .open,
        "GET /ops/health": .open,
        "GET /favicon.ico": .open,
        "GET /docs": .open,
        "GET /openapi.json": .open,
        "GET /ops/dashboard": .open,
        "GET /ops/console": .open,
        "POST /auth/register": .open,
        "POST /auth/login": .open,
        "POST /auth/change-password": .open,
        "POST /auth/refresh": .open,
        "POST /auth/logout": .open,
        "GET /api/auth/generate-message": .open,
        "POST /api/auth/create-user": .open,
        "POST /api/auth/login": .open,
        "GET /api/auth/verify": .open,
        "POST /api/auth/logout": .open,

        "POST /webhooks/tradingview/:webhook_uuid": .webhookSecret,
        "POST /api/webhooks/signal/:webhook_uuid": .webhookSecret,
        "POST /webhook": .webhookSecret,
        "GET /api/webhooks/test/:webhook_uuid": .webhookSecret,
        "GET /api/webhooks/health": .open,

        "POST /auth/revoke-all": .anyUser,
        "POST /auth/2fa/setup": .anyUser,
        "POST /auth/2fa/verify-enable": .anyUser,
        "POST /auth/2fa/disable": .anyUser,
        "GET /users/me": .anyUser,
        "POST /users/exchange-secrets": .anyUser,
        "GET /users/exchange-secrets": .anyUser,
        "DELETE /users/exchange-secrets/:exchange": .anyUser,
        "PUT /users/notifications": .anyUser,
        "DELETE /users/notifications": .anyUser,
        "GET /webhooks/info": .anyUser,
        "POST /webhooks/secret": .anyUser,
        "PUT /webhooks/enabled": .anyUser,
        "POST /signals": .anyUser,
        "GET /signals": .anyUser,
        "POST /signals/claim": .anyUser,
        "POST /positions/open_from_signal": .anyUser,
        "POST /positions/close": .anyUser,
        "GET /positions": .anyUser,
        "GET /positions/risk/today": .anyUser,
        "GET /pnl/summary": .anyUser,
        "GET /ops/audit/me": .anyUser,
        "GET /api/user/dashboard": .anyUser,
        "POST /api/user/credentials": .anyUser,
        "GET /api/user/credentials/status": .anyUser,
        "GET /api/user/webhook-info": .anyUser,
        "PUT /api/user/webhook-secret": .anyUser,
        "GET /api/user/account-balance": .anyUser,
        "GET /api/user/positions": .anyUser,

        "POST /ops/execution/pretrade/:exchange/check": .trading,
        "POST /ops/execution/pretrade/:exchange/scan": .trading,
        "POST /ops/execution/pretrade/:exchange/auto-pick": .trading,
        "POST /ops/execution/exit/:exchange/check": .trading,
        "POST /ops/execution/prepare": .trading,
        "POST /ops/execution/:exchange/test-order": .trading,

        "GET /ops/audit/all": .opsReader,
        "GET /ops/dashboard/summary": .opsReader,

        "GET /ops/audit/verify": .admin,
        "GET /ops/risk/daily-compare": .admin,
        "GET /ops/admin/auto-pick/report": .admin,
        "POST /ops/admin/exit/tick": .admin,
        "GET /ops/admin/idempotency/stats": .admin,
        "POST /ops/admin/idempotency/cleanup": .admin,
        "GET /ops/admin/learning/status": .admin,
        "GET /ops/admin/learning/health": .admin,
        "GET /ops/admin/learning/dataset": .admin,
        "GET /ops/admin/learning/suggestion-report": .admin,
        "POST /ops/admin/learning/label": .admin,
        "POST /ops/admin/learning/rollup/refresh": .admin,
        "GET /ops/admin/kill-switch": .admin,
        "POST /ops/admin/kill-switch": .admin,
        "POST /ops/admin/cleanup-smoke-users": .admin,
        "POST /ops/admin/users/:email/reset-2fa": .admin,
        "PUT /ops/risk/users/:email": .admin,
        "PUT /ops/admin/subscriptions/:email": .admin,
        "GET /ops/admin/subscriptions": .opsReader,
        "GET /subscription": .anyUser,
        "GET /ops/admin/trading-control": .admin,
        "GET /ops/admin/risk/profiles": .admin,
        "PUT /ops/admin/risk/profiles/:profile_name": .admin,
        "GET /ops/admin/strategy-runtime-policies": .admin,
        "PUT /ops/admin/strategy-runtime-policies/:strategy_id/:exchange": .admin,
        "POST /ops/admin/trading-control": .admin,
        "POST /users/:user_id/2fa/reset": .admin,
        "GET /users/:user_id/risk-settings": .admin,
        "PUT /users/:user_id/risk-settings": .admin,
        "GET /ops/backoffice/summary": .opsReader,
        "GET /ops/backoffice/users": .opsReader,
        "GET /ops/admin/audit/export": .admin,
        "GET /users/readiness/report": .admin,
        "GET /ops/admin/readiness/daily-gate": .admin,
        "GET /ops/admin/snapshot/daily": .admin,
        "GET /ops/security/posture": .admin,
        "POST /ops/security/reencrypt-exchange-secrets": .admin,
        "POST /ops/strategy/assign": .admin,
        "GET /ops/strategy/assignments": .admin,
        "POST /users": .admin,
        "GET /users": .admin,
        "GET /health/detailed": .admin,
        "GET /api/webhooks/metrics": .admin,
    ]

    static func key(_ route: Route) -> String {
        let path = route.path.map { component -> String in
            switch component {
            case .constant(let value): value
            case .parameter(let name): ":" + name
            case .anything: "*"
            case .catchall: "**"
            }
        }
        return "\(route.method.rawValue) /" + path.joined(separator: "/")
    }

    /// A concrete path for a route: parameters get harmless values.
    static func concretePath(_ route: Route) -> String {
        route.path.map { component -> String in
            switch component {
            case .constant(let value): value
            case .parameter("exchange"): "binance"
            case .parameter("email"): "nobody@example.com"
            case .parameter: UUID().uuidString.lowercased()
            case .anything, .catchall: "x"
            }
        }.joined(separator: "/")
    }

    @Test func everyRegisteredRouteHasAnAccessDecision() async throws {
        try await withTestApp(.sqlite) { app in
            let registered = Set(app.routes.all.map(Self.key))
            let undecided = registered.subtracting(Self.access.keys).sorted()
            let stale = Set(Self.access.keys).subtracting(registered).sorted()
            #expect(undecided.isEmpty, "routes with no decision in RouteRolesTests.access: \(undecided)")
            #expect(stale.isEmpty, "decisions for routes that are not registered: \(stale)")
        }
    }

    enum Caller: String, CaseIterable {
        case anonymous, disabled, viewer, trader, admin
    }

    /// Whether `caller` is let through to `access`'s handlers.
    static func allowed(_ caller: Caller, _ access: Access) -> Bool {
        switch access {
        case .open: true
        case .webhookSecret: false
        case .anyUser: [.viewer, .trader, .admin].contains(caller)
        case .trading: [.trader, .admin].contains(caller)
        case .opsReader: [.viewer, .admin].contains(caller)
        case .admin: caller == .admin
        }
    }

    @Test(arguments: TestDatabase.all)
    func everyRouteAnswersEachRoleAsDecided(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let password = "password-123"
            try await User(email: "root@roles.co", passwordHash: try app.password.hash(password), role: .admin).create(
                on: app.db)
            try await User(email: "vera@roles.co", passwordHash: try app.password.hash(password), role: .viewer).create(
                on: app.db)
            try await User(email: "tom@roles.co", passwordHash: try app.password.hash(password), role: .trader).create(
                on: app.db)
            try await User(email: "dan@roles.co", passwordHash: try app.password.hash(password), role: .trader).create(
                on: app.db)
            let emails: [Caller: String] = [
                .admin: "root@roles.co", .viewer: "vera@roles.co", .trader: "tom@roles.co", .disabled: "dan@roles.co",
            ]

            /// A fresh access token per request, so a route that revokes sessions cannot affect the next.
            func token(_ caller: Caller) async throws -> String? {
                guard let email = emails[caller] else { return nil }
                if caller == .disabled {
                    try await User.query(on: app.db).filter(\.$email == email).set(\.$role, to: .trader).update()
                }
                let response = try await client.login(email, password: password)
                guard response.status == .ok, let access = response.json()["access_token"] as? String else {
                    throw TestFailure("login \(email): \(response.status) \(response.body.string)")
                }
                if caller == .disabled {
                    // Disabled after the token was issued: the token must stop working.
                    try await User.query(on: app.db).filter(\.$email == email).set(\.$role, to: .disabled).update()
                }
                return access
            }

            var checked = 0
            for route in app.routes.all.sorted(by: { Self.key($0) < Self.key($1) }) {
                let key = Self.key(route)
                guard let access = Self.access[key] else { continue }  // the first test reports it
                for caller in Caller.allCases {
                    let bearer = try await token(caller)
                    let response = try await client.send(route.method, Self.concretePath(route), token: bearer)
                    let detail =
                        (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
                        as? [String: Any])?["detail"] as? String
                    let label = "\(key) as \(caller): \(response.status.code) \(response.body.string.prefix(160))"
                    #expect(response.status != .internalServerError, "\(label)")
                    checked += 1
                    switch access {
                    case .open:
                        #expect(response.status != .unauthorized && response.status != .forbidden, "\(label)")
                    case .webhookSecret:
                        // No secret, no signature: refused whatever bearer token comes along.
                        #expect(response.status == .unauthorized, "\(label)")
                        #expect(detail == "Authentication failed" || detail == "Missing X-Signature header", "\(label)")
                    default:
                        if Self.allowed(caller, access) {
                            #expect(
                                response.status != .unauthorized && detail != "Insufficient permissions", "\(label)")
                        } else if caller == .anonymous {
                            #expect(response.status == .unauthorized && detail == "Not authenticated", "\(label)")
                        } else if caller == .disabled {
                            #expect(
                                response.status == .unauthorized && detail == "Invalid authentication credentials",
                                "\(label)")
                        } else {
                            #expect(response.status == .forbidden && detail == "Insufficient permissions", "\(label)")
                        }
                    }
                }
            }
            #expect(checked == Self.access.count * Caller.allCases.count)
        }
    }
}
