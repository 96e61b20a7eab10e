import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct VaultTests {
    static let apiKey = "AKIAbinancekey0000XYZ"
    static let apiSecret = "binance-secret-do-not-leak-9f8e7d"

    @Test(arguments: TestDatabase.all)
    func upsertListAndDeleteNeverRevealTheSecret(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let saved = try await client.send(
                .POST, "users/exchange-secrets", token: token,
                json: ["exchange": "binance", "api_key": Self.apiKey, "api_secret": Self.apiSecret])
            #expect(saved.status == .created)
            #expect(saved.json() as NSDictionary == ["message": "Encrypted credentials saved for BINANCE"])
            _ = try await client.send(
                .POST, "users/exchange-secrets", token: token,
                json: ["exchange": "IBKR", "api_key": "ibkr-key-123456", "api_secret": "ibkr-secret-123456"])
            // Upsert replaces, never duplicates.
            _ = try await client.send(
                .POST, "users/exchange-secrets", token: token,
                json: ["exchange": "BINANCE", "api_key": Self.apiKey, "api_secret": Self.apiSecret])

            let list = try await client.send(.GET, "users/exchange-secrets", token: token)
            let rows = try #require(
                try JSONSerialization.jsonObject(with: Data(list.body.readableBytesView)) as? [[String: Any]])
            #expect(rows.map { $0["exchange"] as? String } == ["BINANCE", "IBKR"])
            #expect(rows.first?["api_key_masked"] as? String == "AKI***XYZ")
            #expect(rows.first?["configured"] as? Bool == true)
            #expect(rows.first?["key_version"] as? String == "test1")
            #expect(rows.first?["updated_at"] is String)
            #expect(!list.body.string.contains(Self.apiSecret) && !list.body.string.contains(Self.apiKey))

            let stored = try await ExchangeSecret.query(on: app.db).all()
            #expect(stored.count == 2)
            #expect(stored.allSatisfy { !$0.apiSecretSealed.contains(Self.apiSecret) && $0.keyID == "test1" })

            let deleted = try await client.send(.DELETE, "users/exchange-secrets/ibkr", token: token)
            #expect(deleted.json() as NSDictionary == ["message": "Credentials deleted for IBKR"])
            let missing = try await client.send(.DELETE, "users/exchange-secrets/IBKR", token: token)
            #expect(missing.status == .notFound)
            #expect(missing.json() as NSDictionary == ["detail": "No credentials found for this exchange"])
            let bad = try await client.send(.DELETE, "users/exchange-secrets/kraken", token: token)
            #expect(bad.status == .badRequest)
            #expect(bad.json() as NSDictionary == ["detail": "exchange must be BINANCE, IBKR or BYBIT"])
            let unknown = try await client.send(
                .POST, "users/exchange-secrets", token: token,
                json: ["exchange": "kraken", "api_key": "k", "api_secret": "s"])
            #expect(unknown.status == .unprocessableEntity)

            let audit = try await AuditEntry.query(on: app.db).all()
            #expect(audit.filter { $0.action == "exchange.secret.upsert" }.count == 3)
            #expect(audit.contains { $0.action == "exchange.secret.delete" })
            #expect(
                !audit.contains {
                    ($0.details ?? "").contains(Self.apiSecret) || ($0.details ?? "").contains(Self.apiKey)
                })
        }
    }

    @Test(arguments: TestDatabase.all)
    func tenancyComesFromTheToken(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (ana, _) = try await client.signIn("ana@trading.co")
            let (bo, _) = try await client.signIn("bo@trading.co")
            _ = try await client.send(
                .POST, "users/exchange-secrets", token: ana,
                json: ["exchange": "BYBIT", "api_key": Self.apiKey, "api_secret": Self.apiSecret])
            let list = try await client.send(.GET, "users/exchange-secrets", token: bo)
            #expect(list.body.string == "[]")
            #expect(try await client.send(.DELETE, "users/exchange-secrets/BYBIT", token: bo).status == .notFound)
        }
    }

    @Test(arguments: TestDatabase.all)
    func disabledExchangeIsRefusedAndAudited(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let user = try #require(try await User.query(on: app.db).filter(\.$email == "ana@trading.co").first())
            try await StrategyAssignment(userID: user.id!, exchange: .bybit, strategyID: "SWING_V1", enabled: false)
                .create(on: app.db)
            let refused = try await client.send(
                .POST, "users/exchange-secrets", token: token,
                json: ["exchange": "bybit", "api_key": Self.apiKey, "api_secret": Self.apiSecret])
            #expect(refused.status == .forbidden)
            #expect(refused.json() as NSDictionary == ["detail": "Exchange BYBIT is disabled for this user"])
            #expect(try await ExchangeSecret.query(on: app.db).count() == 0)
            #expect(
                try await client.auditActions(userEmail: "ana@trading.co").contains("exchange.secret.upsert.blocked"))
            // Other exchanges stay open.
            let binance = try await client.send(
                .POST, "users/exchange-secrets", token: token,
                json: ["exchange": "binance", "api_key": Self.apiKey, "api_secret": Self.apiSecret])
            #expect(binance.status == .created)
        }
    }

    @Test func theRawSQLiteFileHoldsNoPlaintextSecret() async throws {
        var path = ""
        try await withTestApp(.sqlite) { app in
            guard case .sqlite(let file) = app.appConfig.database else { return }
            path = file
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            _ = try await client.send(
                .POST, "users/exchange-secrets", token: token,
                json: ["exchange": "binance", "api_key": Self.apiKey, "api_secret": Self.apiSecret])
            let setup = try await client.send(.POST, "auth/2fa/setup", token: token)
            let seed = try #require(setup.json()["secret"] as? String)
            let raw = ["", "-wal", "-shm"].compactMap { FileManager.default.contents(atPath: path + $0) }
                .reduce(Data(), +)
            #expect(!raw.isEmpty)
            #expect(raw.range(of: Data(Self.apiSecret.utf8)) == nil)
            #expect(raw.range(of: Data(seed.utf8)) == nil)
            #expect(raw.range(of: Data(Base32.decode(seed)!)) == nil)
            // The masked key is the only trace of the key itself.
            #expect(raw.range(of: Data(Self.apiKey.utf8)) == nil)
        }
        #expect(!path.isEmpty)
    }

    @Test(arguments: TestDatabase.all)
    func notificationSettingsAreValidatedAndSealed(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let botToken = "123456:" + String(repeating: "A", count: 35)
            let bad = try await client.send(
                .PUT, "users/notifications", token: token,
                json: ["telegram_bot_token": "nope", "telegram_chat_id": "abc"])
            #expect(bad.status == .unprocessableEntity)
            #expect((bad.json()["detail"] as? [[String: Any]])?.count == 2)
            let set = try await client.send(
                .PUT, "users/notifications", token: token,
                json: ["telegram_bot_token": botToken, "telegram_chat_id": -100_123])
            #expect(set.json() as NSDictionary == ["telegram_configured": true])
            let user = try #require(try await User.query(on: app.db).filter(\.$email == "ana@trading.co").first())
            let sealed = try #require(user.telegramBotTokenSealed)
            #expect(!sealed.contains(botToken))
            #expect(
                try app.appConfig.keyRing.openString(
                    sealed, context: SealedField.telegramBotToken.context(owner: user.id!)) == botToken)
            let cleared = try await client.send(.DELETE, "users/notifications", token: token)
            #expect(cleared.json() as NSDictionary == ["telegram_configured": false])
            let reloaded = try #require(try await User.find(user.id, on: app.db))
            #expect(reloaded.telegramBotTokenSealed == nil && reloaded.telegramChatIDSealed == nil)
        }
    }
}
