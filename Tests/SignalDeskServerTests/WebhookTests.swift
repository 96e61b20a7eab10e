import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import SignalDeskVenues
import Testing
import VaporTesting

@testable import SignalDeskServer

extension Client {
    /// Signs in, rotates the webhook secret and returns (token, uuid, secret).
    func webhookUser(_ email: String = "ana@trading.co") async throws -> (token: String, uuid: String, secret: String) {
        let (token, _) = try await signIn(email)
        let rotated = try await send(.POST, "webhooks/secret", token: token).json()
        return (token, rotated["webhook_uuid"] as! String, rotated["webhook_secret"] as! String)
    }

    func alert(
        _ uuid: String, _ body: String, contentType: String = "application/json", path: String = "webhooks/tradingview",
        headers extra: [(String, String)] = []
    ) async throws -> TestingHTTPResponse {
        var headers = HTTPHeaders([("Content-Type", contentType)])
        for (name, value) in extra { headers.add(name: name, value: value) }
        return try await app.testing().sendRequest(
            .POST, "\(path)/\(uuid)", headers: headers, body: ByteBuffer(string: body))
    }

    func hmac(_ body: String, signature: String?) async throws -> TestingHTTPResponse {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        if let signature { headers.add(name: "X-Signature", value: signature) }
        return try await app.testing().sendRequest(.POST, "webhook", headers: headers, body: ByteBuffer(string: body))
    }
}

@Suite struct WebhookTests {
    static func body(_ secret: String, symbol: String = "BINANCE:BTCUSDT", side: String = "buy", extra: String = "")
        -> String
    {
        #"{"secret":"\#(secret)","symbol":"\#(symbol)","side":"\#(side)","price":30000\#(extra)}"#
    }

    @Test(arguments: TestDatabase.all)
    func infoRotationAndTheAcceptPath(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let info = try await client.send(.GET, "webhooks/info", token: token, headers: ["Host": "desk.example.org"])
                .json()
            let uuid = try #require(info["webhook_uuid"] as? String)
            #expect(info["webhook_url"] as? String == "http://desk.example.org/webhooks/tradingview/\(uuid)")
            #expect(
                info["hmac_url"] as? String == "http://desk.example.org/webhook" && info["enabled"] as? Bool == true)
            let template = try #require(info["alert_message_template"] as? String)
            for placeholder in ["{{ticker}}", "{{close}}", "{{strategy.order.action}}", "{{timenow}}"] {
                #expect(template.contains(placeholder))
            }

            let rotated = try await client.send(.POST, "webhooks/secret", token: token).json()
            #expect(rotated["webhook_uuid"] as? String == uuid)
            let secret = try #require(rotated["webhook_secret"] as? String)
            #expect(secret.count == 64 && Hex.decode(secret) != nil)

            let accepted = try await client.alert(
                uuid, Self.body(secret, extra: #","qty":0.01,"stop_loss":29000,"take_profit":33000"#))
            #expect(accepted.status == .accepted)
            #expect(accepted.json()["status"] as? String == "accepted")
            let id = try #require((accepted.json()["signal_id"] as? String).flatMap(UUID.init(uuidString:)))
            let signal = try #require(try await Signal.find(id, on: app.db))
            #expect(
                signal.source == .tradingview && signal.symbol == "BTCUSDT" && signal.status == .created
                    && signal.side == .long)
            #expect(
                signal.qty == 0.01 && signal.entryPrice == 30000 && signal.stopLoss == 29000 && signal.action == .open)
            #expect(await app.marketPrices.last("BTCUSDT") == 30000)
            // The alias, a text/plain body holding JSON, and close alerts.
            let alias = try await client.alert(
                uuid, Self.body(secret, symbol: "ETH/USDT", side: "exit"), contentType: "text/plain",
                path: "api/webhooks/signal")
            #expect(alias.status == .accepted)
            let closing = try #require(
                try await Signal.find(UUID(uuidString: alias.json()["signal_id"] as! String), on: app.db))
            #expect(closing.symbol == "ETHUSDT" && closing.action == .close)

            let audit = try await AuditEntry.query(on: app.db).all()
            #expect(audit.filter { $0.action == "webhook.accepted" }.count == 2)
            #expect(audit.contains { $0.action == "webhook.secret.rotated" })
            #expect(!audit.contains { ($0.details ?? "").contains(secret) })
        }
    }

    @Test(arguments: TestDatabase.all)
    func authenticationFailuresLookTheSame(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (_, uuid, secret) = try await client.webhookUser()
            let failures = [
                try await client.alert(UUID().uuidString.lowercased(), Self.body(secret)),
                try await client.alert(uuid, Self.body("wrong-secret")),
                try await client.alert(uuid, #"{"symbol":"BTCUSDT","side":"buy"}"#),
                try await client.alert(uuid, "not json at all", contentType: "text/plain"),
                try await client.alert(uuid, Self.body(String(secret.dropLast()))),
            ]
            for response in failures {
                #expect(response.status == .unauthorized)
                #expect(response.body.string == #"{"detail":"Authentication failed"}"#)
            }
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "webhook.auth_failed").sort(\.$id)
                .all()
            #expect(audit.count == 5)
            #expect(audit.first?.userID == nil && audit.last?.userID != nil)
            #expect(!audit.contains { ($0.details ?? "").contains(secret) })
            #expect(try await Signal.query(on: app.db).count() == 0)
            let metrics = try await app.testing().sendRequest(.GET, "metrics").body.string
            #expect(metrics.contains(#"webhook_auth_failures_total{route="tradingview"} 5"#))
        }
    }

    @Test(arguments: TestDatabase.all)
    func badAlertsGetPreciseMessagesAndChangeNothing(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (_, uuid, secret) = try await client.webhookUser()
            let cases = [
                (
                    Self.body(secret, side: "hodl"),
                    "Invalid side 'hodl': must be one of buy, sell, long, short, close, exit"
                ),
                (#"{"secret":"\#(secret)","side":"buy"}"#, "Missing symbol (send symbol or ticker)"),
                (Self.body(secret, extra: #","timestamp":"2020-01-01T00:00:00Z""#), "Stale alert"),
                (Self.body(secret, extra: #","qty":-2"#), "size must be a positive number"),
            ]
            for (body, message) in cases {
                let response = try await client.alert(uuid, body)
                #expect(response.status == .badRequest)
                #expect(response.json()["detail"] as? String == message)
            }
            #expect(try await Signal.query(on: app.db).count() == 0)
            #expect(try await client.auditCount("webhook.rejected") == 4)
            let fresh = try await client.alert(
                uuid, Self.body(secret, extra: #","timestamp":"\#(ISO8601DateFormatter().string(from: Date()))""#))
            #expect(fresh.status == .accepted)
        }
    }

    @Test(arguments: TestDatabase.all)
    func duplicatesAnswerTheFirstSignal(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.webhookRatePerMinute = 1000 }) { app in
            let client = Client(app: app)
            let (_, uuid, secret) = try await client.webhookUser()
            let withID = Self.body(secret, extra: #","alert_id":"BTCUSDT-2026-11-22T01:00:00Z""#)
            let first = try await client.alert(uuid, withID)
            let again = try await client.alert(uuid, withID.replacingOccurrences(of: "30000", with: "30001"))
            #expect(first.status == .accepted && again.status == .ok)
            #expect(again.json()["status"] as? String == "duplicate")
            #expect(again.json()["signal_id"] as? String == first.json()["signal_id"] as? String)

            // Same body without an id, sequentially and concurrently: one signal each time.
            let plain = Self.body(secret, symbol: "SOLUSDT")
            let a = try await client.alert(uuid, plain)
            let b = try await client.alert(uuid, plain)
            #expect(
                a.status == .accepted && b.status == .ok
                    && a.json()["signal_id"] as? String == b.json()["signal_id"] as? String)
            let twin = Self.body(secret, symbol: "AVAXUSDT")
            let racing = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { Int(try await client.alert(uuid, twin).status.code) } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(racing.filter { $0 == 202 }.count == 1 && racing.filter { $0 == 200 }.count == 7)
            let sameID = Self.body(secret, symbol: "ETHUSDT", extra: #","alert_id":"race-1""#)
            let racingIDs = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { Int(try await client.alert(uuid, sameID).status.code) } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(racingIDs.filter { $0 == 202 }.count == 1)
            #expect(try await Signal.query(on: app.db).count() == 4)
            #expect(try await client.auditCount("webhook.duplicate") == 1 + 1 + 7 + 7)
        }
    }

    /// Twins without an alert id that arrive on both sides of a minute boundary (and of any
    /// window arithmetic): the first one stored answers all the others, in every round.
    @Test(arguments: TestDatabase.all)
    func twinsAcrossAMinuteBoundaryAreOneSignal(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (_, uuid, secret) = try await client.webhookUser()
            let endpoint = try #require(try await WebhookIntake.endpoint(uuid: uuid, app: app, on: app.db))
            let boundary = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60)
            for round in 0..<10 {
                let body = Self.body(secret, symbol: "SOLUSDT", extra: #","comment":"round \#(round)""#)
                let alert = try TradingViewAlert.parse(try #require(TradingViewAlert.object(from: Array(body.utf8))))
                let outcomes = try await withThrowingTaskGroup(of: WebhookIntake.Outcome.self) { group in
                    for twin in 0..<8 {
                        // Half a second either side of the boundary, all within the window.
                        let now = boundary.addingTimeInterval(Double(twin) / 8 - 0.5)
                        group.addTask {
                            try await WebhookIntake(app: app, db: app.db)
                                .accept(
                                    alert, body: Array(body.utf8), endpoint: endpoint, source: .tradingview, now: now)
                        }
                    }
                    return try await group.reduce(into: [WebhookIntake.Outcome]()) { $0.append($1) }
                }
                let accepted = outcomes.compactMap { if case .accepted(let id) = $0 { id } else { nil } }
                let answered = Set(outcomes.compactMap { if case .duplicate(let id) = $0 { id } else { nil } })
                #expect(accepted.count == 1, "round \(round): \(outcomes)")
                #expect(answered == Set(accepted), "round \(round): \(outcomes)")
            }
            #expect(try await Signal.query(on: app.db).count() == 10)
        }
    }

    @Test(arguments: TestDatabase.all)
    func rateLimitCountsOnlyAuthenticatedAlerts(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.webhookRatePerMinute = 3 }) { app in
            let client = Client(app: app)
            let (_, uuid, secret) = try await client.webhookUser()
            for _ in 0..<10 { _ = try await client.alert(uuid, Self.body("stranger")) }
            for index in 0..<3 {
                #expect(
                    try await client.alert(uuid, Self.body(secret, extra: #","alert_id":"a\#(index)""#)).status
                        == .accepted)
            }
            let limited = try await client.alert(uuid, Self.body(secret, extra: #","alert_id":"a9""#))
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers.first(name: "Retry-After").flatMap(Int.init).map { (1...60).contains($0) } == true)
            let metrics = try await app.testing().sendRequest(.GET, "metrics").body.string
            #expect(metrics.contains(#"rate_limit_hits_total{scope="webhook"} 1"#))
        }
    }

    @Test(arguments: TestDatabase.all)
    func switchesAndTheKillSwitch(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, uuid, secret) = try await client.webhookUser()
            let (admin, _) = try await client.signIn("root@trading.co", role: .admin)
            #expect(
                try await client.send(.PUT, "webhooks/enabled", token: token, json: ["enabled": false]).json()[
                    "enabled"] as? Bool == false)
            let off = try await client.alert(uuid, Self.body(secret))
            #expect(off.status == .locked && off.json()["detail"] as? String == "Webhooks disabled")
            _ = try await client.send(.PUT, "webhooks/enabled", token: token, json: ["enabled": true])
            #expect(try await client.alert(uuid, Self.body(secret, extra: #","alert_id":"k1""#)).status == .accepted)

            let noReason = try await client.send(.POST, "ops/admin/kill-switch", token: admin, json: ["enabled": true])
            #expect(noReason.status == .unprocessableEntity)
            #expect(
                try await client.send(
                    .POST, "ops/admin/kill-switch", token: token, json: ["enabled": true, "reason": "x"]
                ).status == .forbidden)
            let halted = try await client.send(
                .POST, "ops/admin/kill-switch", token: admin, json: ["enabled": true, "reason": "exchange outage"])
            #expect(
                halted.json()["enabled"] as? Bool == true && halted.json()["reason"] as? String == "exchange outage")
            #expect(
                try await client.send(.GET, "ops/admin/kill-switch", token: admin).json()["reason"] as? String
                    == "exchange outage")
            #expect(try await client.alert(uuid, Self.body(secret, extra: #","alert_id":"k2""#)).status == .locked)
            let signal = try await client.createSignal(token)
            #expect(try await client.claim(token).isEmpty)
            try await (app.db as! any SQLDatabase).raw(
                "UPDATE signals SET status = 'EXECUTING' WHERE id = \(bind: UUID(uuidString: signal)!)"
            ).run()
            let open = try await client.open(token, signal: signal, qty: 1)
            #expect(open.status == .conflict && open.json()["detail"] as? String == "Trading halted: exchange outage")

            let released = try await client.send(.POST, "ops/admin/kill-switch", token: admin, json: ["enabled": false])
            #expect(released.json()["enabled"] as? Bool == false && released.json()["reason"] is NSNull)
            #expect(try await client.alert(uuid, Self.body(secret, extra: #","alert_id":"k3""#)).status == .accepted)
            #expect(try await client.auditCount("ops.kill_switch.on") == 1)
            #expect(try await client.auditCount("ops.kill_switch.off") == 1)
            #expect(try await client.auditCount("webhook.disabled") == 1)
        }
    }

    /// On PostgreSQL an alert whose secret matches the endpoint an earlier alert read is stored
    /// without reading the endpoint again, by a statement that checks the endpoint itself: a
    /// rotated secret, a switched-off webhook or a disabled owner, changed by this process or
    /// directly in the database (another instance), refuses the next alert with an id at once.
    @Test(arguments: TestDatabase.all)
    func aRememberedEndpointIsCheckedWhenTheAlertIsStored(_ database: TestDatabase) async throws {
        // More alerts than the default limit of 10 a minute (an alert re-judged after a change
        // counts once per attempt).
        try await withTestApp(database, adjust: { $0.webhookRatePerMinute = 1000 }) { app in
            let client = Client(app: app)
            let (token, uuid, secret) = try await client.webhookUser()
            let sql = app.db as! any SQLDatabase
            func send(_ secret: String, _ id: String) async throws -> HTTPStatus {
                try await client.alert(uuid, Self.body(secret, extra: #","alert_id":"\#(id)""#)).status
            }
            func stored(_ id: String) async throws -> Bool {
                try await Signal.query(on: app.db).filter(\.$alertID == "id:" + id).count() == 1
            }
            #expect(try await send(secret, "r1") == .accepted)

            // A secret rotated through the API: the old one no longer stores anything.
            let rotated = try await client.send(.POST, "webhooks/secret", token: token).json()
            let fresh = try #require(rotated["webhook_secret"] as? String)
            #expect(try await send(secret, "r2") == .unauthorized)
            #expect(try await send(fresh, "r3") == .accepted)

            // Changed in the database behind this process's back.
            try await sql.raw("UPDATE webhook_endpoints SET enabled = false WHERE webhook_uuid = \(bind: uuid)").run()
            #expect(try await send(fresh, "r4") == .locked)
            try await sql.raw("UPDATE webhook_endpoints SET enabled = true WHERE webhook_uuid = \(bind: uuid)").run()
            #expect(try await send(fresh, "r5") == .accepted)
            try await sql.raw("UPDATE users SET role = 'disabled' WHERE email = 'ana@trading.co'").run()
            #expect(try await send(fresh, "r6") == .locked)
            try await sql.raw("UPDATE users SET role = 'trader' WHERE email = 'ana@trading.co'").run()
            #expect(try await send(fresh, "r7") == .accepted)
            try await sql.raw(
                "UPDATE webhook_endpoints SET secret_digest = \(bind: WebhookIntake.digest(Array("other".utf8))) WHERE webhook_uuid = \(bind: uuid)"
            ).run()
            #expect(try await send(fresh, "r8") == .unauthorized)
            try await sql.raw(
                "UPDATE webhook_endpoints SET secret_digest = \(bind: WebhookIntake.digest(Array(fresh.utf8))) WHERE webhook_uuid = \(bind: uuid)"
            ).run()
            #expect(try await send(fresh, "r9") == .accepted)
            // A refusal is judged on the endpoint as it is now: with its secret changed elsewhere, a
            // malformed alert with the remembered secret is a 401 (bad secret), not a 400.
            let digest = WebhookIntake.digest(Array(fresh.utf8))
            try await sql.raw("UPDATE webhook_endpoints SET secret_digest = 'x' WHERE webhook_uuid = \(bind: uuid)")
                .run()
            #expect(try await client.alert(uuid, #"{"secret":"\#(fresh)","symbol":""}"#).status == .unauthorized)
            try await sql.raw(
                "UPDATE webhook_endpoints SET secret_digest = \(bind: digest) WHERE webhook_uuid = \(bind: uuid)"
            ).run()
            #expect(try await send(fresh, "r10") == .accepted)
            // An alert without an id (stored by a transaction that does not check the endpoint).
            try await sql.raw("UPDATE webhook_endpoints SET enabled = false WHERE webhook_uuid = \(bind: uuid)").run()
            #expect(try await client.alert(uuid, Self.body(fresh)).status == .locked)

            for id in ["r1", "r3", "r5", "r7", "r9", "r10"] { #expect(try await stored(id)) }
            for id in ["r2", "r4", "r6", "r8"] { #expect(try await !stored(id)) }
            #expect(try await Signal.query(on: app.db).count() == 6)
            #expect(try await client.auditCount("webhook.accepted") == 6)
            #expect(try await client.auditCount("webhook.auth_failed") == 3)
            #expect(try await client.auditCount("webhook.rejected") == 3)
        }
    }

    /// PostgreSQL refuses NUL in text: such input is a 4xx with a clear message, never a 500.
    @Test(arguments: TestDatabase.all)
    func nulCharactersAreRefusedNotFatal(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, uuid, secret) = try await client.webhookUser()
            let (viewer, _) = try await client.signIn("vera@trading.co", role: .viewer)
            #expect(
                try await client.hmac(#"{"token":"\u0000","action":"buy"}"#, signature: "00").status == .unauthorized)
            #expect(try await client.alert("%00", Self.body(secret)).status == .unauthorized)
            let alert = try await client.alert(uuid, Self.body(secret, extra: #","alert_id":"a\u0000b""#))
            #expect(
                alert.status == .badRequest
                    && alert.json()["detail"] as? String == "Text values must not contain NUL characters")
            #expect(
                try await client.send(.GET, "ops/audit/all?action=%00", token: viewer).status == .unprocessableEntity)
            let login = try await client.login("ana\u{0}@trading.co")
            #expect([400, 401].contains(login.status.code))
            let signal = try await client.send(
                .POST, "signals", token: token,
                json: [
                    "symbol": "BTC\u{0}USDT", "module": "swing\u{0}", "base_risk_percent": 0.5, "entry_price": 100,
                    "stop_loss": 95, "take_profit": 110,
                ])
            #expect(
                signal.status == .unprocessableEntity
                    && signal.body.string.contains("symbol must not contain control characters"))
            #expect(try await Signal.query(on: app.db).count() == 0)
        }
    }

    @Test(arguments: TestDatabase.all)
    func hmacRoute(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (_, uuid, secret) = try await client.webhookUser()
            let body = #"{"token":"\#(uuid)","action":"buy","symbol":"BTCUSDT","quantity":0.01,"price":30000}"#
            let sign = { (text: String, key: String) in RequestSigning.hmacSHA256Hex(secret: key, payload: text) }
            let missing = try await client.hmac(body, signature: nil)
            #expect(
                missing.status == .unauthorized && missing.json()["detail"] as? String == "Missing X-Signature header")
            let wrong = try await client.hmac(body, signature: sign(body, "not-the-secret"))
            #expect(wrong.status == .unauthorized && wrong.json()["detail"] as? String == "Invalid signature")
            let stranger = #"{"token":"\#(UUID().uuidString)","action":"buy","symbol":"BTCUSDT"}"#
            #expect(
                try await client.hmac(stranger, signature: sign(stranger, secret)).json()["detail"] as? String
                    == "Invalid signature")
            let long = #"{"token":"\#(uuid)","action":"long","symbol":"BTCUSDT"}"#
            let badAction = try await client.hmac(long, signature: sign(long, secret))
            #expect(
                badAction.status == .badRequest
                    && badAction.json()["detail"] as? String == "Invalid action. Must be one of: buy, sell, close")
            let ok = try await client.hmac(body, signature: sign(body, secret))
            #expect(ok.status == .accepted)
            let signal = try #require(
                try await Signal.find(UUID(uuidString: ok.json()["signal_id"] as! String), on: app.db))
            #expect(signal.source == .hmac && signal.qty == 0.01)
        }
    }

    @Test(arguments: TestDatabase.all)
    func requiredSignatureAndSourceAllowList(_ database: TestDatabase) async throws {
        try await withTestApp(
            database,
            adjust: {
                $0.webhookRequireSignature = true; $0.webhookAllowedIPs = ["10.9.9.9"]
            }
        ) { app in
            let client = Client(app: app)
            let (_, uuid, secret) = try await client.webhookUser()
            let blocked = try await client.alert(uuid, Self.body(secret))
            #expect(blocked.status == .forbidden && blocked.json()["detail"] as? String == "Source address not allowed")
        }
        try await withTestApp(
            database,
            adjust: {
                $0.webhookRequireSignature = true; $0.webhookAllowedIPs = ["127.0.0.1"]
            }
        ) { app in
            let client = Client(app: app)
            let (_, uuid, secret) = try await client.webhookUser()
            let body = Self.body(secret)
            let live = try app.testing(method: .running(port: 0))
            let unsigned = try await live.sendRequest(
                .POST, "webhooks/tradingview/\(uuid)", headers: ["Content-Type": "application/json"],
                body: ByteBuffer(string: body))
            #expect(
                unsigned.status == .unauthorized && unsigned.json()["detail"] as? String == "Missing X-Signature header"
            )
            let signed = try await live.sendRequest(
                .POST, "webhooks/tradingview/\(uuid)",
                headers: [
                    "Content-Type": "application/json",
                    "X-Signature": RequestSigning.hmacSHA256Hex(secret: secret, payload: body),
                ], body: ByteBuffer(string: body))
            #expect(signed.status == .accepted)
        }
    }
}

@Suite struct FirstUseRaceTests {
    @Test(arguments: TestDatabase.all)
    func concurrentFirstUsesNeverFail(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let infos = try await withThrowingTaskGroup(of: (UInt, String?).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let response = try await client.send(.GET, "webhooks/info", token: token)
                        return (response.status.code, response.json()["webhook_uuid"] as? String)
                    }
                }
                return try await group.reduce(into: [(UInt, String?)]()) { $0.append($1) }
            }
            #expect(infos.allSatisfy { $0.0 == 200 })
            #expect(Set(infos.compactMap(\.1)).count == 1)
            let saves = try await withThrowingTaskGroup(of: UInt.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await client.send(
                            .POST, "users/exchange-secrets", token: token,
                            json: [
                                "exchange": "BINANCE", "api_key": "key-\(index)-0000000",
                                "api_secret": "secret-\(index)",
                            ]
                        ).status.code
                    }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(saves.allSatisfy { $0 == 201 })
            #expect(try await ExchangeSecret.query(on: app.db).count() == 1)
        }
    }
}
