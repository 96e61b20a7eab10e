import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct KeyRotationTests {
    static let k1 = "k1:" + String(repeating: "11", count: 32)
    static let k2 = "k2:" + String(repeating: "22", count: 32)
    static let k9 = "k9:" + String(repeating: "99", count: 32)

    /// Stores secrets for two users through the API: exchange credentials, a TOTP seed and a
    /// Telegram setting.
    static func seed(_ app: Application) async throws -> (tokens: [String], seeds: [String]) {
        let client = Client(app: app)
        var tokens: [String] = []
        var seeds: [String] = []
        for email in ["ana@trading.co", "bo@trading.co"] {
            let (token, _) = try await client.signIn(email)
            tokens.append(token)
            for exchange in ["BINANCE", "BYBIT"] {
                let saved = try await client.send(
                    .POST, "users/exchange-secrets", token: token,
                    json: [
                        "exchange": exchange, "api_key": "\(email)-\(exchange)-key",
                        "api_secret": "\(email)-\(exchange)-secret",
                    ])
                #expect(saved.status == .created)
            }
            seeds.append(
                try #require(try await client.send(.POST, "auth/2fa/setup", token: token).json()["secret"] as? String))
        }
        let set = try await client.send(
            .PUT, "users/notifications", token: tokens[0],
            json: [
                "telegram_bot_token": "42:" + String(repeating: "t", count: 35), "telegram_chat_id": "7",
            ])
        #expect(set.status == .ok)
        return (tokens, seeds)
    }

    /// Every sealed value opens with `ring` and names its active key.
    static func allUnder(_ ring: KeyRing, app: Application) async throws -> Bool {
        for secret in try await ExchangeSecret.query(on: app.db).all() {
            let owner = secret.$user.id
            _ = try ring.open(
                secret.apiKeySealed, context: SealedField.exchangeAPIKey(secret.exchange).context(owner: owner))
            _ = try ring.open(
                secret.apiSecretSealed, context: SealedField.exchangeAPISecret(secret.exchange).context(owner: owner))
            guard KeyRing.keyID(ofSealed: secret.apiSecretSealed) == ring.activeKeyID, secret.keyID == ring.activeKeyID
            else { return false }
        }
        for enrolment in try await TwoFactor.query(on: app.db).all() {
            _ = try ring.open(enrolment.secretSealed, context: SealedField.totpSeed.context(owner: enrolment.$user.id))
            guard KeyRing.keyID(ofSealed: enrolment.secretSealed) == ring.activeKeyID else { return false }
        }
        return true
    }

    @Test(arguments: TestDatabase.all)
    func rotationFromK1ToK2AcrossARestart(_ database: TestDatabase) async throws {
        try await withTestDatabase(database) { base in
            var config = base
            config.keyRing = try KeyRing.parse(KeyRotationTests.k1)
            var adminToken = ""
            var seeds: [String] = []

            // Server on k1.
            try await withApp(config) { app in
                seeds = try await Self.seed(app).seeds
                adminToken = try await Client(app: app).signIn("root@trading.co", role: .admin).access
            }

            // Restart with k2 in front: everything still opens, nothing is on the active key yet.
            config.keyRing = try KeyRing.parse("\(KeyRotationTests.k2),\(KeyRotationTests.k1)")
            try await withApp(config) { app in
                let client = Client(app: app)
                let posture = try await client.send(.GET, "ops/security/posture", token: adminToken)
                let summary = try #require(posture.json()["summary"] as? [String: Any])
                // 4 credential rows, 2 TOTP seeds, 1 user row with Telegram settings.
                #expect(summary["secrets_on_retired_keys"] as? Int == 7)

                let dry = try await client.send(
                    .POST, "ops/security/reencrypt-exchange-secrets", token: adminToken, json: ["dry_run": true])
                #expect(
                    dry.json() as NSDictionary == [
                        "dry_run": true, "scanned": 7, "updated": 7, "failed": 0, "active_key_id": "k2",
                    ])
                #expect(try await ExchangeSecret.query(on: app.db).all().allSatisfy { $0.keyID == "k1" })

                let real = try await client.send(
                    .POST, "ops/security/reencrypt-exchange-secrets", token: adminToken, json: ["dry_run": false])
                #expect(
                    real.json() as NSDictionary == [
                        "dry_run": false, "scanned": 7, "updated": 7, "failed": 0, "active_key_id": "k2",
                    ])
                let again = try await client.send(
                    .POST, "ops/security/reencrypt-exchange-secrets", token: adminToken, json: ["dry_run": false])
                #expect(again.json()["updated"] as? Int == 0)
                let after = try await client.send(.GET, "ops/security/posture", token: adminToken)
                #expect((after.json()["summary"] as? [String: Any])?["secrets_on_retired_keys"] as? Int == 0)
                #expect(
                    try await client.auditActions(userEmail: "root@trading.co").filter {
                        $0 == "security.key_rotation.reencrypt"
                    }.count == 3)
            }

            // Restart with k1 retired: every secret opens with k2 alone, and 2FA logins still work.
            config.keyRing = try KeyRing.parse(KeyRotationTests.k2)
            try await withApp(config) { app in
                #expect(try await Self.allUnder(try KeyRing.parse(KeyRotationTests.k2), app: app))
                let client = Client(app: app)
                let token = try #require(try await client.login("ana@trading.co").json()["access_token"] as? String)
                let enabled = try await client.send(
                    .POST, "auth/2fa/verify-enable", token: token, json: ["otp": totp(seeds[0])])
                #expect(enabled.status == .ok)
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func unreadableRowsAreCountedAndLeftUntouched(_ database: TestDatabase) async throws {
        try await withTestDatabase(database) { base in
            var config = base
            // Ana's secrets sealed under k9, a key the server will not have.
            config.keyRing = try KeyRing.parse(KeyRotationTests.k9)
            try await withApp(config) { app in
                let client = Client(app: app)
                let (token, _) = try await client.signIn("ana@trading.co")
                _ = try await client.send(
                    .POST, "users/exchange-secrets", token: token,
                    json: ["exchange": "BINANCE", "api_key": "key-9-000000", "api_secret": "secret-9"])
            }
            config.keyRing = try KeyRing.parse("\(KeyRotationTests.k2),\(KeyRotationTests.k1)")
            try await withApp(config) { app in
                let client = Client(app: app)
                let (token, _) = try await client.signIn("bo@trading.co")
                _ = try await client.send(
                    .POST, "users/exchange-secrets", token: token,
                    json: ["exchange": "BINANCE", "api_key": "key-bo-000000", "api_secret": "secret-bo"])
                let before = try await ExchangeSecret.query(on: app.db).all().first { $0.keyID == "k9" }?
                    .apiSecretSealed

                let report = try await KeyRotation(keyRing: app.appConfig.keyRing, db: app.db, logger: app.logger).run(
                    dryRun: false)
                #expect(report == .init(dryRun: false, scanned: 2, updated: 0, failed: 1, activeKeyId: "k2"))
                let after = try await ExchangeSecret.query(on: app.db).all().first { $0.keyID == "k9" }?.apiSecretSealed
                #expect(before != nil && before == after)
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func aSecretReplacedDuringRotationIsNotOverwritten(_ database: TestDatabase) async throws {
        try await withTestDatabase(database) { base in
            var config = base
            config.keyRing = try KeyRing.parse(KeyRotationTests.k1)
            try await withApp(config) { app in
                let client = Client(app: app)
                let (token, _) = try await client.signIn("ana@trading.co")
                _ = try await client.send(
                    .POST, "users/exchange-secrets", token: token,
                    json: ["exchange": "BINANCE", "api_key": "old-key-000000", "api_secret": "old-secret"])
            }
            config.keyRing = try KeyRing.parse("\(KeyRotationTests.k2),\(KeyRotationTests.k1)")
            try await withApp(config) { app in
                let row = try #require(try await ExchangeSecret.query(on: app.db).first())
                let staleRead = row.apiSecretSealed
                // The user saves a new secret after the rotation read the row...
                let fresh = try app.appConfig.keyRing.seal(
                    "new-secret", context: SealedField.exchangeAPISecret(.binance).context(owner: row.$user.id))
                row.apiSecretSealed = fresh
                try await row.save(on: app.db)
                // ...and the rotation's conditional write, built from the stale read, touches nothing.
                let sql = app.db as! any SQLDatabase
                let touched = try await sql.update("exchange_secrets")
                    .set("api_secret_sealed", to: SQLBind("v1.k2.stale"))
                    .where("id", .equal, SQLBind(row.id!))
                    .where("api_secret_sealed", .equal, SQLBind(staleRead))
                    .returning("id").all()
                #expect(touched.isEmpty)
                let report = try await KeyRotation(keyRing: app.appConfig.keyRing, db: app.db, logger: app.logger).run(
                    dryRun: false)
                #expect(report.failed == 0)
                let secret = try #require(try await ExchangeSecret.query(on: app.db).first())
                #expect(
                    try app.appConfig.keyRing.openString(
                        secret.apiSecretSealed,
                        context: SealedField.exchangeAPISecret(.binance).context(owner: secret.$user.id))
                        == "new-secret")
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func rotationWorksInBatches(_ database: TestDatabase) async throws {
        try await withTestDatabase(database) { base in
            var config = base
            config.keyRing = try KeyRing.parse(KeyRotationTests.k1)
            let count = KeyRotation.batchSize + 20
            try await withApp(config) { app in
                let ring = app.appConfig.keyRing
                try await app.db.transaction { tx in
                    for index in 0..<count {
                        let user = User(email: "u\(index)@trading.co", passwordHash: "x", role: .trader)
                        try await user.create(on: tx)
                        try await TwoFactor(
                            userID: user.id!,
                            secretSealed: try ring.seal(
                                [UInt8](repeating: UInt8(index % 256), count: 20),
                                context: SealedField.totpSeed.context(owner: user.id!))
                        ).create(on: tx)
                    }
                }
            }
            config.keyRing = try KeyRing.parse("\(KeyRotationTests.k2),\(KeyRotationTests.k1)")
            try await withApp(config) { app in
                let report = try await KeyRotation(keyRing: app.appConfig.keyRing, db: app.db, logger: app.logger).run(
                    dryRun: false)
                #expect(report.scanned == count && report.updated == count && report.failed == 0)
                #expect(try await Self.allUnder(try KeyRing.parse(KeyRotationTests.k2), app: app))
            }
        }
    }
}
