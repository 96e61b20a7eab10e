import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct PostureTests {
    static func makeUser(_ email: String, _ role: UserRole, twoFactor: Bool, app: Application) async throws -> UUID {
        let user = User(email: email, passwordHash: try app.password.hash("password-123"), role: role)
        try await user.create(on: app.db)
        if twoFactor {
            let enrolment = TwoFactor(
                userID: user.id!,
                secretSealed: try app.appConfig.keyRing.seal(
                    TOTP.generateSecret(), context: SealedField.totpSeed.context(owner: user.id!)))
            enrolment.enabled = true
            try await enrolment.create(on: app.db)
        }
        return user.id!
    }

    static func addSecret(_ userID: UUID, _ exchange: Exchange, ageDays: Double, app: Application) async throws {
        let ring = app.appConfig.keyRing
        let secret = ExchangeSecret()
        secret.$user.id = userID
        secret.exchange = exchange
        secret.apiKeySealed = try ring.seal(
            "key-000000000", context: SealedField.exchangeAPIKey(exchange).context(owner: userID))
        secret.apiSecretSealed = try ring.seal(
            "secret", context: SealedField.exchangeAPISecret(exchange).context(owner: userID))
        secret.apiKeyMasked = "key***000"
        secret.keyID = ring.activeKeyID
        try await secret.create(on: app.db)
        try await (app.db as! any SQLDatabase).update("exchange_secrets")
            .set("updated_at", to: SQLBind(Date().addingTimeInterval(-ageDays * 86_400)))
            .where("id", .equal, SQLBind(secret.id!)).run()
    }

    @Test(arguments: TestDatabase.all)
    func postureFiguresForAMixedPopulation(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            _ = try await Self.makeUser("root@trading.co", .admin, twoFactor: true, app: app)
            let ana = try await Self.makeUser("ana@trading.co", .trader, twoFactor: false, app: app)
            let bo = try await Self.makeUser("bo@trading.co", .trader, twoFactor: true, app: app)
            _ = try await Self.makeUser("vi@trading.co", .viewer, twoFactor: false, app: app)
            _ = try await Self.makeUser("smoke.1@trading.co", .trader, twoFactor: false, app: app)
            _ = try await Self.makeUser("x@example.com", .trader, twoFactor: false, app: app)
            _ = try await Self.makeUser("dis@trading.co", .disabled, twoFactor: false, app: app)
            try await Self.addSecret(ana, .binance, ageDays: 40, app: app)
            try await Self.addSecret(ana, .bybit, ageDays: 2, app: app)
            try await Self.addSecret(bo, .ibkr, ageDays: 1, app: app)

            let client = Client(app: app)
            // root has 2FA; a second admin without it reads the posture (and is counted).
            let (admin, _) = try await client.signIn("ops@trading.co", role: .admin)

            let all = try await client.send(.GET, "ops/security/posture", token: admin)
            #expect(all.status == .ok)
            let body = all.json()
            #expect(body["real_only"] as? Bool == false)
            #expect(body["max_secret_age_days"] as? Int == 30)
            #expect(body["generated_at"] is String)
            // 8 users: ops (admin, no 2FA) is missing 2FA too.
            #expect(
                body["summary"] as? NSDictionary == [
                    "total_users": 8, "users_missing_2fa": 4, "users_with_stale_secrets": 1,
                    "secrets_on_retired_keys": 0,
                ])
            let users = try #require(body["users"] as? [[String: Any]])
            let anaRow = try #require(users.first { $0["email"] as? String == "ana@trading.co" })
            #expect(anaRow["binance_secret_configured"] as? Bool == true)
            #expect(anaRow["bybit_secret_configured"] as? Bool == true)
            #expect(anaRow["ibkr_secret_configured"] as? Bool == false)
            #expect(anaRow["oldest_secret_age_days"] as? Int == 40)
            #expect(anaRow["stale_secret"] as? Bool == true)
            #expect(anaRow["two_factor_enabled"] as? Bool == false)
            #expect(anaRow["role"] as? String == "trader")
            #expect(anaRow["user_id"] as? String == ana.uuidString.lowercased())
            let viRow = try #require(users.first { $0["email"] as? String == "vi@trading.co" })
            #expect(viRow["oldest_secret_age_days"] is NSNull)
            #expect(
                Set(users.first!.keys) == [
                    "user_id", "email", "role", "two_factor_enabled", "binance_secret_configured",
                    "ibkr_secret_configured",
                    "bybit_secret_configured", "dydx_secret_configured", "oldest_secret_age_days", "stale_secret",
                ])

            let real = try await client.send(
                .GET, "ops/security/posture?real_only=true&max_secret_age_days=60", token: admin)
            #expect(
                real.json()["summary"] as? NSDictionary == [
                    "total_users": 6, "users_missing_2fa": 2, "users_with_stale_secrets": 0,
                    "secrets_on_retired_keys": 0,
                ])
            let bad = try await client.send(.GET, "ops/security/posture?max_secret_age_days=0", token: admin)
            #expect(bad.status == .unprocessableEntity)
            #expect(
                try await client.auditActions(userEmail: "ops@trading.co").filter { $0 == "security.posture.read" }
                    .count == 2)

            let (trader, _) = try await client.signIn("cy@trading.co")
            #expect(try await client.send(.GET, "ops/security/posture", token: trader).status == .forbidden)
            #expect(
                try await client.send(.POST, "ops/security/reencrypt-exchange-secrets", token: trader).status
                    == .forbidden)
        }
    }
}
