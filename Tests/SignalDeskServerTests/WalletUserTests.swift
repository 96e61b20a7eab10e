import Fluent
import Foundation
import SignalDeskCore
import SignalDeskFakes
import SignalDeskVenues
import Testing
import VaporTesting

@testable import SignalDeskServer

/// `/api/user/*` and `/api/webhooks/{test,metrics,health}` (issue 22) on both databases.
@Suite struct WalletUserTests {
    /// REFERENCE.md: → dydx19rl4cm2hmr8afy4kldpxz3fka4jguq0a4erelz.
    static let abandon = Array(repeating: "abandon", count: 11).joined(separator: " ") + " about"
    static let legal = "legal winner thank year wave sausage worth useful legal winner thank yellow"

    @Test(arguments: TestDatabase.all)
    func mnemonicsAreValidatedSealedAndTheirAddressesShown(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let wallet = TestWallet.random()
            let (token, _, _) = try await client.walletSignIn(wallet)

            let empty = try await client.send(.GET, "api/user/credentials/status", token: token).json()
            #expect(empty["dydx_configured"] as? Bool == false)
            #expect(empty["webhook_configured"] as? Bool == true)

            let saved = try await client.send(
                .POST, "api/user/credentials", token: token,
                json: [
                    "dydx_testnet_mnemonic": "  " + Self.abandon.uppercased() + "\n",
                    "dydx_mainnet_mnemonic": Self.legal,
                ])
            #expect(saved.status == .ok, "\(saved.body.string)")
            #expect(saved.json()["message"] as? String == "Credentials updated")
            #expect(saved.json()["updated_fields"] as? [String] == ["dydx_testnet_mnemonic", "dydx_mainnet_mnemonic"])
            #expect(!saved.body.string.contains("abandon"))

            let rows = try await DydxCredential.query(on: app.db).all()
            #expect(rows.count == 2)
            for row in rows {
                #expect(!row.mnemonicSealed.contains("abandon") && !row.mnemonicSealed.contains("legal"))
                #expect(row.keyID == "test1")
                let phrase = try app.appConfig.keyRing.openString(
                    row.mnemonicSealed, context: SealedField.dydxMnemonic.context(owner: row.$user.id))
                #expect(phrase == (row.network == "testnet" ? Self.abandon : Self.legal))
            }

            let dashboard = try await client.send(.GET, "api/user/dashboard", token: token)
            #expect(dashboard.status == .ok)
            let body = dashboard.json()
            let profile = try #require(body["user_profile"] as? [String: Any])
            #expect(profile["wallet_address"] as? String == wallet.address)
            #expect(profile["dydx_testnet_address"] as? String == "dydx19rl4cm2hmr8afy4kldpxz3fka4jguq0a4erelz")
            #expect(profile["dydx_mainnet_address"] as? String == "dydx1avgyh77ycn997ja45q5q8ss8y9mr424jfrvh4k")
            #expect(profile["account_age_days"] as? Int == 0)
            let webhook = try #require(body["webhook_info"] as? [String: Any])
            #expect(webhook["has_secret"] as? Bool == true)
            #expect(
                (webhook["webhook_url"] as? String)?.hasSuffix("/api/webhooks/signal/\(webhook["webhook_uuid"]!)")
                    == true)
            let status = try #require(body["credentials_status"] as? [String: Any])
            #expect(status["dydx_testnet_configured"] as? Bool == true)
            #expect(status["dydx_mainnet_configured"] as? Bool == true)
            #expect(status["telegram_configured"] as? Bool == false)

            // Audited by field names only.
            let details = try await AuditEntry.query(on: app.db).filter(\.$action == "credentials.update").all()
            #expect(details.count == 1)
            #expect(details.first?.details?.contains("dydx_testnet_mnemonic") == true)
            #expect(details.first?.details?.contains("abandon") == false)

            // Login tells the client credentials exist.
            let message = try await client.walletMessage(wallet.address)
            let login = try await client.walletPost(
                "login", address: wallet.address, message: message, signature: wallet.sign(message))
            #expect((login.json()["user_data"] as? [String: Any])?["has_credentials"] as? Bool == true)
        }
    }

    @Test(arguments: TestDatabase.all)
    func badCredentialsAre422WithoutEchoAndStoreNothing(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _, _) = try await client.walletSignIn(TestWallet.random())
            let eleven = Array(repeating: "abandon", count: 11).joined(separator: " ")
            let cases: [[String: Any]] = [
                ["dydx_testnet_mnemonic": eleven + " abandon"],  // checksum
                ["dydx_testnet_mnemonic": eleven],  // 11 words
                ["dydx_mainnet_mnemonic": eleven + " zebraic"],  // not a word
                ["dydx_mainnet_mnemonic": Self.legal, "dydx_testnet_mnemonic": eleven + " abandon"],  // one bad of two
                ["telegram_token": "123:short"],
                ["telegram_chat_id": "chat"],
                [:],
            ]
            for json in cases {
                let response = try await client.send(.POST, "api/user/credentials", token: token, json: json)
                #expect(response.status == .unprocessableEntity, "\(json.keys): \(response.body.string)")
                #expect(!response.body.string.contains("abandon abandon"))
                #expect(!response.body.string.contains("zebraic"))
                #expect(!response.body.string.contains("legal"))
            }
            #expect(try await DydxCredential.query(on: app.db).count() == 0)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "credentials.update").count() == 0)
            // Telegram through this route is the same sealed pair /users/notifications writes.
            let telegram = try await client.send(
                .POST, "api/user/credentials", token: token,
                json: ["telegram_token": "123456:" + String(repeating: "a", count: 35), "telegram_chat_id": 42])
            #expect(telegram.status == .ok)
            let status = try await client.send(.GET, "api/user/credentials/status", token: token).json()
            #expect(status["telegram_configured"] as? Bool == true)
        }
    }

    @Test(arguments: TestDatabase.all)
    func webhookSecretReadReplaceAndTest(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _, created) = try await client.walletSignIn(TestWallet.random())
            let firstSecret = try #require(created)
            let info = try await client.send(.GET, "api/user/webhook-info", token: token)
            #expect(info.status == .ok)
            #expect(info.json()["webhook_secret"] as? String == firstSecret)
            let url = try #require(info.json()["webhook_url"] as? String)
            let uuid = String(url.split(separator: "/").last!)
            let caller = try #require(try await User.query(on: app.db).filter(\.$email ~~ "@wallet.invalid").first())
            #expect(try await client.auditActions(userEmail: caller.email).contains("webhook.secret.read"))

            // The webhook test: the secret in a JSON body, the query or a header.
            for (path, headers, json) in [
                ("api/webhooks/test/\(uuid)", HTTPHeaders(), ["secret": firstSecret] as [String: Any]?),
                ("api/webhooks/test/\(uuid)?secret=\(firstSecret)", HTTPHeaders(), nil),
                ("api/webhooks/test/\(uuid.uppercased())", HTTPHeaders([("X-Webhook-Secret", firstSecret)]), nil),
            ] {
                let response = try await client.send(.GET, path, json: json, headers: headers)
                #expect(response.status == .ok, "\(path): \(response.body.string)")
                #expect(response.json()["message"] as? String == "Webhook authentication successful")
            }
            for (path, json) in [
                ("api/webhooks/test/\(uuid)", ["secret": "wrong"]), ("api/webhooks/test/\(uuid)", [:]),
                ("api/webhooks/test/\(UUID().uuidString)", ["secret": firstSecret]),
            ] {
                let response = try await client.send(.GET, path, json: json)
                #expect(response.status == .unauthorized)
                #expect(response.json()["detail"] as? String == "Authentication failed")
            }
            #expect(try await Signal.query(on: app.db).count() == 0)

            // Replacing the secret: the old one stops working at once on the alert path.
            let short = try await client.send(
                .PUT, "api/user/webhook-secret", token: token, json: ["new_secret": "short"])
            #expect(short.status == .unprocessableEntity)
            let newSecret = "my-own-secret-" + UUID().uuidString
            let replaced = try await client.send(
                .PUT, "api/user/webhook-secret", token: token, json: ["new_secret": newSecret])
            #expect(replaced.status == .ok)
            #expect(!replaced.body.string.contains(newSecret))
            let alert: [String: Any] = ["symbol": "BTC-USD", "side": "buy", "size": 0.01, "price": 60000]
            var old = alert
            old["secret"] = firstSecret
            let refused = try await client.send(.POST, "api/webhooks/signal/\(uuid)", json: old)
            #expect(refused.status == .unauthorized)
            var fresh = alert
            fresh["secret"] = newSecret
            let accepted = try await client.send(.POST, "api/webhooks/signal/\(uuid)", json: fresh)
            #expect(accepted.status == .accepted, "\(accepted.body.string)")
            #expect(try await client.auditActions(userEmail: caller.email).contains("webhook.secret.rotated"))
        }
    }

    /// The dYdX service's alert format on both alert routes.
    @Test(arguments: TestDatabase.all)
    func dydxFormatAlertsAreAcceptedOnBothPaths(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (_, _, created) = try await client.walletSignIn(TestWallet.random())
            let secret = try #require(created)
            let endpoint = try #require(try await WebhookEndpoint.query(on: app.db).first())
            for (path, id) in [("api/webhooks/signal", "a-1"), ("webhooks/tradingview", "a-2")] {
                let response = try await client.send(
                    .POST, "\(path)/\(endpoint.webhookUUID)",
                    json: [
                        "secret": secret, "symbol": "BTC-USD", "side": "buy", "size": 0.015, "price": 60000,
                        "order_type": "limit", "take_profit": 63000, "stop_loss": 58500, "alert_id": id,
                    ])
                #expect(response.status == .accepted, "\(path): \(response.body.string)")
            }
            let signals = try await Signal.query(on: app.db).all()
            #expect(signals.count == 2)
            for signal in signals {
                #expect(signal.takeProfit == 63000)
                #expect(signal.stopLoss == 58500)
                #expect(signal.entryPrice == 60000)
                #expect(signal.symbol.hasPrefix("BTC"))
            }
            let bad = try await client.send(
                .POST, "api/webhooks/signal/\(endpoint.webhookUUID)",
                json: ["secret": secret, "symbol": "BTC-USD", "side": "buy", "size": -1, "price": 60000])
            #expect(bad.status == .badRequest)
        }
    }

    @Test(arguments: TestDatabase.all)
    func balancePositionsMetricsAndHealth(_ database: TestDatabase) async throws {
        let indexer = try await FakeDydxIndexer.start()
        do {
            try await withTestApp(database) { app in
                let client = Client(app: app)
                let (token, _, created) = try await client.walletSignIn(TestWallet.random())
                let none = try await client.send(.GET, "api/user/account-balance", token: token)
                #expect(none.status == .ok)
                #expect(none.json()["success"] as? Bool == false)

                _ = try await client.send(
                    .POST, "api/user/credentials", token: token, json: ["dydx_testnet_mnemonic": Self.abandon])
                // Unreachable indexer: 200 with success false and a short error.
                app.dydxIndexer = DydxIndexerClient(
                    baseURL: "http://127.0.0.1:1",
                    transport: HTTPTransport(client: app.http.client.shared, timeout: .seconds(2)))
                let down = try await client.send(.GET, "api/user/account-balance", token: token)
                #expect(down.status == .ok)
                #expect(down.json()["success"] as? Bool == false)
                #expect(down.json()["error"] as? String == "dYdX indexer unreachable")

                app.dydxIndexer = DydxIndexerClient(
                    baseURL: indexer.baseURL, transport: HTTPTransport(client: app.http.client.shared))
                let balance = try await client.send(.GET, "api/user/account-balance", token: token).json()
                #expect(balance["success"] as? Bool == true)
                #expect(balance["equity"] as? Double == 1500.5)
                #expect(balance["free_collateral"] as? Double == 1200.25)
                #expect(balance["margin_used"] as? Double == 300.25)
                #expect(balance["open_positions_value"] as? Double == 600)
                #expect(balance["error"] is NSNull)
                #expect(
                    indexer.requests.last
                        == "GET /v4/addresses/dydx19rl4cm2hmr8afy4kldpxz3fka4jguq0a4erelz/subaccountNumber/0")

                let positions = try await client.send(.GET, "api/user/positions", token: token).json()
                #expect(positions["success"] as? Bool == true)
                #expect((positions["positions"] as? [Any])?.isEmpty == true)

                // Metrics count this process's alert answers.
                let endpoint = try #require(try await WebhookEndpoint.query(on: app.db).first())
                _ = try await client.send(
                    .POST, "api/webhooks/signal/\(endpoint.webhookUUID)",
                    json: ["secret": created!, "symbol": "BTC-USD", "side": "buy", "price": 60000])
                _ = try await client.send(.POST, "api/webhooks/signal/\(endpoint.webhookUUID)", json: ["secret": "no"])
                let admin = try await client.signIn("root@wallets.co", role: .admin).access
                let metrics = try await client.send(.GET, "api/webhooks/metrics", token: admin).json()
                #expect(metrics["total_requests"] as? Int == 2)
                #expect(metrics["accepted"] as? Int == 1)
                #expect(metrics["auth_failures"] as? Int == 1)
                #expect(metrics["since"] is String)

                let health = try await client.send(.GET, "api/webhooks/health")
                #expect(health.status == .ok)
                let state = health.json()
                #expect(["healthy", "degraded"].contains(state["status"] as? String ?? ""))
                #expect(state["database"] as? String == "connected")
                #expect(state["venues"] is [String: Any])
            }
        } catch {
            await indexer.shutdown()
            throw error
        }
        await indexer.shutdown()
    }

    /// Wallet users are real users: counted by the posture and the dashboard, never missing 2FA
    /// (their sign-in has no OTP step), never smoke users; their mnemonics join key rotation.
    @Test(arguments: TestDatabase.all)
    func postureCleanupAndRotationSeeWalletUsers(_ database: TestDatabase) async throws {
        try await withTestDatabase(database) { base in
            var config = base
            config.keyRing = try KeyRing.parse(KeyRotationTests.k1)
            var admin = ""
            try await withApp(config) { app in
                let client = Client(app: app)
                let (token, _, _) = try await client.walletSignIn(TestWallet.random())
                _ = try await client.send(
                    .POST, "api/user/credentials", token: token, json: ["dydx_testnet_mnemonic": Self.abandon])
                admin = try await client.signIn("root@wallets.co", role: .admin).access
            }
            config.keyRing = try KeyRing.parse("\(KeyRotationTests.k2),\(KeyRotationTests.k1)")
            try await withApp(config) { app in
                let client = Client(app: app)
                let posture = try await client.send(.GET, "ops/security/posture?real_only=true", token: admin).json()
                let summary = try #require(posture["summary"] as? [String: Any])
                #expect(summary["total_users"] as? Int == 2)
                // The admin misses 2FA; the wallet user is not counted.
                #expect(summary["users_missing_2fa"] as? Int == 1)
                // Webhook secret and mnemonic of the wallet user are on k1.
                #expect(summary["secrets_on_retired_keys"] as? Int == 2)
                let emails = (posture["users"] as? [[String: Any]])?.compactMap { $0["email"] as? String } ?? []
                #expect(emails.contains { $0.hasSuffix("@wallet.invalid") })

                let rotated = try await client.send(
                    .POST, "ops/security/reencrypt-exchange-secrets", token: admin, json: ["dry_run": false])
                #expect(rotated.json()["updated"] as? Int == 2)
                let row = try #require(try await DydxCredential.query(on: app.db).first())
                #expect(row.keyID == "k2")
                #expect(KeyRing.keyID(ofSealed: row.mnemonicSealed) == "k2")
                let after = try await client.send(.GET, "ops/security/posture", token: admin).json()
                #expect((after["summary"] as? [String: Any])?["secrets_on_retired_keys"] as? Int == 0)

                let dashboard = try await client.send(.GET, "ops/dashboard/summary", token: admin)
                #expect(dashboard.status == .ok)
                #expect(dashboard.body.string.contains("@wallet.invalid"))

                let cleanup = try await client.send(
                    .POST, "ops/admin/cleanup-smoke-users?dry_run=true&older_than_days=0", token: admin
                ).json()
                #expect(cleanup["eligible"] as? Int == 0)
            }
        }
    }
}
