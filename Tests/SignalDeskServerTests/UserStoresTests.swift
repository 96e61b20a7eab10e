import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// The stores of users, sessions, 2FA and sealed secrets called directly on both databases. The
/// HTTP tests (AuthTests, SessionTests, TwoFactorTests, OpsTests, PostureTests, KeyRotationTests)
/// check the answers built on them.
@Suite struct UserStoresTests {
    /// Rows of `table` whose `column` is `value`.
    private static func count(
        _ table: String, _ column: String, _ value: some Encodable & Sendable, on app: Application
    )
        async throws -> Int
    {
        try await (app.db as! any SQLDatabase).select()
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from(table).where(SQLColumn(column), .equal, SQLBind(value))
            .first(decodingColumn: "n", as: Int.self) ?? 0
    }

    /// Per table: the rows `userID` owns, and the login attempts and user rows of `email`.
    private static func footprint(_ userID: UUID, _ email: String, on app: Application) async throws -> [String: Int] {
        var rows: [String: Int] = [:]
        for table in UserStore.owned + ["audit_log"] {
            rows[table] = try await count(table, "user_id", userID, on: app)
        }
        rows["login_attempts"] = try await count("login_attempts", "email", email, on: app)
        rows["users"] = try await count("users", "id", userID, on: app)
        return rows
    }

    /// A user who signed in, traded (signal, position, idempotent close), enrolled in 2FA, stored an
    /// exchange secret, chose a strategy and made a webhook: a row in most owned tables.
    private static func busyUser(_ email: String, on app: Application) async throws -> UUID {
        let client = Client(app: app)
        let (token, _) = try await client.signIn(email)
        let position = try await client.openPosition(token)
        let closed = try await client.close(token, position: position, exit: 105, key: "close-\(email)")
        #expect(closed.status == .ok)
        _ = try await client.createSignal(token)
        let user = try #require(try await User.query(on: app.db).filter(\.$email == email).first())
        let userID = try user.requireID()
        let ring = app.appConfig.keyRing
        try await TwoFactor(
            userID: userID, secretSealed: try ring.seal("seed", context: TwoFactorService.sealContext(userID: userID))
        )
        .create(on: app.db)
        let secret = ExchangeSecret()
        secret.$user.id = userID
        secret.exchange = .binance
        secret.apiKeySealed = try ring.seal("key", context: SealedField.exchangeAPIKey(.binance).context(owner: userID))
        secret.apiSecretSealed = try ring.seal(
            "secret", context: SealedField.exchangeAPISecret(.binance).context(owner: userID))
        secret.apiKeyMasked = "k***y"
        secret.keyID = ring.activeKeyID
        try await secret.create(on: app.db)
        try await StrategyAssignment(userID: userID, exchange: .bybit, strategyID: "SWING_V1", enabled: false)
            .create(on: app.db)
        let endpoint = WebhookEndpoint()
        endpoint.$user.id = userID
        endpoint.webhookUUID = UUID().uuidString.lowercased()
        endpoint.secretSealed = try ring.seal("hook", context: SealedField.webhookSecret.context(owner: userID))
        endpoint.secretDigest = Hex.encode(SecureBytes.random(count: 32))
        endpoint.enabled = true
        try await endpoint.create(on: app.db)
        return userID
    }

    @Test(arguments: TestDatabase.all)
    func deleteRemovesExactlyTheGivenUsersRows(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let doomedEmail = "smoke.gone@example.com"
            let keptEmail = "smoke.kept@example.com"
            let doomed = try await Self.busyUser(doomedEmail, on: app)
            let kept = try await Self.busyUser(keptEmail, on: app)
            let doomedBefore = try await Self.footprint(doomed, doomedEmail, on: app)
            let keptBefore = try await Self.footprint(kept, keptEmail, on: app)
            // The rows this test is about exist for both, so a delete without its WHERE shows.
            for table in [
                "sessions", "signals", "positions", "idempotency_keys", "two_factor", "exchange_secrets",
                "strategy_assignments", "webhook_endpoints", "audit_log", "login_attempts", "users",
            ] {
                #expect(doomedBefore[table, default: 0] > 0, "\(table)")
                #expect(keptBefore[table, default: 0] > 0, "\(table)")
            }

            // The doomed user comes last in a list longer than one round of deletes.
            let strangers = (0..<(UserStore.deleteChunk + 20)).map { (id: UUID(), email: "smoke.\($0)@example.com") }
            try await app.db.transaction { tx in
                try await UserStore().delete(users: strangers + [(doomed, doomedEmail)], on: tx)
            }

            let doomedAfter = try await Self.footprint(doomed, doomedEmail, on: app)
            for table in UserStore.owned + ["login_attempts", "users"] {
                #expect(doomedAfter[table] == 0, "\(table)")
            }
            // The audit trail of a deleted user stays.
            #expect(doomedAfter["audit_log"] == doomedBefore["audit_log"])
            #expect(try await Self.footprint(kept, keptEmail, on: app) == keptBefore)
        }
    }

    @Test(arguments: TestDatabase.all)
    func smokeUsersAndTheirLatestLoginAttempts(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            for email in ["smoke.b@example.com", "smoke.a@example.com", "smokey@example.com", "ana@trading.co"] {
                try await User(email: email, passwordHash: "x", role: .viewer).create(on: app.db)
            }
            let base = Date(timeIntervalSince1970: 1_800_000_000)
            for (email, offset) in [
                ("smoke.a@example.com", 10.0), ("smoke.a@example.com", 30), ("smoke.a@example.com", 20),
                ("smoke.b@example.com", 5), ("smokey@example.com", 100), ("ana@trading.co", 100),
            ] {
                try await LoginAttempt(email: email, succeeded: false, at: base.addingTimeInterval(offset))
                    .create(on: app.db)
            }
            let store = UserStore()

            let users = try await store.users(emailPrefix: SmokeUsers.prefix, on: app.db)
            #expect(users.map(\.email) == ["smoke.a@example.com", "smoke.b@example.com"])
            let latest = try await store.latestLoginAttempts(emailPrefix: SmokeUsers.prefix, on: app.db)
            #expect(
                latest == [
                    "smoke.a@example.com": base.addingTimeInterval(30),
                    "smoke.b@example.com": base.addingTimeInterval(5),
                ])
        }
    }

    @Test(arguments: TestDatabase.all)
    func aSessionIsRevokedForRotationOnce(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let user = User(email: "rotate@example.com", passwordHash: "x", role: .viewer)
            try await user.create(on: app.db)
            let userID = try user.requireID()
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let family = UUID()
            let rotated = Session(
                userID: userID, familyID: family, tokenHash: "a", expiresAt: now.addingTimeInterval(3600),
                createdAt: now)
            let sibling = Session(
                userID: userID, familyID: family, tokenHash: "b", expiresAt: now.addingTimeInterval(3600),
                createdAt: now)
            try await rotated.create(on: app.db)
            try await sibling.create(on: app.db)
            let rotatedID = try rotated.requireID()
            let replacement = UUID()
            let store = SessionStore()

            #expect(
                try await store.revokeForRotation(sessionID: rotatedID, replacement: replacement, now: now, on: app.db))
            #expect(
                !(try await store.revokeForRotation(sessionID: rotatedID, replacement: UUID(), now: now, on: app.db)))
            let after = try #require(try await Session.find(rotatedID, on: app.db))
            #expect(after.revokedAt == now)
            #expect(after.replacedBy == replacement)
            let untouched = try #require(try await Session.find(try sibling.requireID(), on: app.db))
            #expect(untouched.revokedAt == nil && untouched.replacedBy == nil)
        }
    }

    @Test(arguments: TestDatabase.all)
    func aTimeStepIsSpentOnceAndInOrder(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            var enrolments: [TwoFactor] = []
            for email in ["one@example.com", "two@example.com"] {
                let user = User(email: email, passwordHash: "x", role: .trader)
                try await user.create(on: app.db)
                let enrolment = TwoFactor(userID: try user.requireID(), secretSealed: "sealed")
                try await enrolment.create(on: app.db)
                enrolments.append(enrolment)
            }
            let (mine, other) = (try enrolments[0].requireID(), try enrolments[1].requireID())
            let store = TwoFactorStore()
            let now = Date()

            #expect(try await store.spend(step: 10, enrolmentID: mine, now: now, on: app.db))
            #expect(!(try await store.spend(step: 10, enrolmentID: mine, now: now, on: app.db)))
            #expect(!(try await store.spend(step: 9, enrolmentID: mine, now: now, on: app.db)))
            #expect(try await store.spend(step: 11, enrolmentID: mine, now: now, on: app.db))
            #expect(try await TwoFactor.find(mine, on: app.db)?.lastUsedStep == 11)
            #expect(try await TwoFactor.find(other, on: app.db)?.lastUsedStep == nil)

            #expect(try await store.enabledUserIDs(on: app.db).isEmpty)
            enrolments[1].enabled = true
            try await enrolments[1].save(on: app.db)
            #expect(try await store.enabledUserIDs(on: app.db) == [enrolments[1].$user.id])
        }
    }

    @Test(arguments: TestDatabase.all)
    func sealedValuesAreReadAndResealedRowByRow(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let ring = app.appConfig.keyRing
            let table = try #require(SealedTable.all.first { $0.name == "exchange_secrets" })
            var owners: [UUID] = []
            for (index, email) in ["a@example.com", "b@example.com", "c@example.com"].enumerated() {
                let user = User(email: email, passwordHash: "x", role: .trader)
                try await user.create(on: app.db)
                let userID = try user.requireID()
                owners.append(userID)
                let secret = ExchangeSecret()
                secret.$user.id = userID
                secret.exchange = .bybit
                secret.apiKeySealed = try ring.seal(
                    "key-\(index)", context: SealedField.exchangeAPIKey(.bybit).context(owner: userID))
                secret.apiSecretSealed = try ring.seal(
                    "secret-\(index)", context: SealedField.exchangeAPISecret(.bybit).context(owner: userID))
                secret.apiKeyMasked = "k***\(index)"
                secret.keyID = ring.activeKeyID
                try await secret.create(on: app.db)
            }
            let store = SealedSecretStore()
            let activePrefix = "\(KeyRing.formatVersion).\(ring.activeKeyID)."

            // Read: every row in id order, in pages after the last id seen.
            let all = try await store.rows(of: table, after: nil, limit: 10, on: app.db)
            #expect(all.count == 3)
            let firstPage = try await store.rows(of: table, after: nil, limit: 2, on: app.db)
            let secondPage = try await store.rows(of: table, after: firstPage.last?.id, limit: 2, on: app.db)
            #expect((firstPage + secondPage).map(\.id) == all.map(\.id))
            for row in all {
                #expect(row.exchange == .bybit)
                #expect(row.values.map(\.column) == ["api_key_sealed", "api_secret_sealed"])
                let index = try #require(owners.firstIndex(of: row.owner))
                let apiKey = try #require(row.values[0].sealed)
                #expect(
                    try ring.openString(apiKey, context: SealedField.exchangeAPIKey(.bybit).context(owner: row.owner))
                        == "key-\(index)")
            }
            #expect(try await store.rowsNotSealed(withPrefix: activePrefix, on: app.db) == 0)

            // Write: only the row named, only while it still holds the value read.
            let target = all[1]
            let oldKey = try #require(target.values[0].sealed)
            let retired = "\(KeyRing.formatVersion).retired.opaque"
            let change = SealedSecretStore.Change(column: "api_key_sealed", old: oldKey, new: retired)
            #expect(
                try await store.reseal(id: target.id, of: table, changes: [change], keyID: "retired", on: app.db))
            #expect(
                !(try await store.reseal(id: target.id, of: table, changes: [change], keyID: "retired", on: app.db)))
            let reread = try await store.rows(of: table, after: nil, limit: 10, on: app.db)
            for (before, after) in zip(all, reread) {
                if before.id == target.id {
                    #expect(after.values[0].sealed == retired)
                    #expect(after.values[1].sealed == before.values[1].sealed)
                } else {
                    #expect(after.values.map(\.sealed) == before.values.map(\.sealed))
                }
            }
            let keyIDs = try await ExchangeSecret.query(on: app.db).all().map { ($0.id, $0.keyID) }
            for (id, keyID) in keyIDs {
                #expect(keyID == (id == target.id ? "retired" : ring.activeKeyID))
            }
            #expect(try await store.rowsNotSealed(withPrefix: activePrefix, on: app.db) == 1)

            // Two rows holding the same value: only the one named is written.
            let same = activePrefix + "same"
            for row in [all[0], all[2]] {
                let secret = try #require(try await ExchangeSecret.find(row.id, on: app.db))
                secret.apiSecretSealed = same
                try await secret.save(on: app.db)
            }
            let fresh = SealedSecretStore.Change(column: "api_secret_sealed", old: same, new: activePrefix + "fresh")
            #expect(
                try await store.reseal(id: all[0].id, of: table, changes: [fresh], keyID: ring.activeKeyID, on: app.db))
            let values = try await store.rows(of: table, after: nil, limit: 10, on: app.db).map(\.values)
            #expect(values[0][1].sealed == activePrefix + "fresh")
            #expect(values[2][1].sealed == same)
            #expect(try await store.rowsNotSealed(withPrefix: activePrefix, on: app.db) == 1)

            let ages = try await store.exchangeSecretAges(on: app.db)
            #expect(Set(ages.map(\.userID)) == Set(owners))
            #expect(ages.allSatisfy { $0.exchange == .bybit && $0.updatedAt != nil })
        }
    }
}
