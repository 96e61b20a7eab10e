import Fluent
import Foundation
import JWTKit
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct AuthTests {
    @Test(arguments: TestDatabase.all)
    func registerValidatesAndRefusesDuplicates(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let created = try await client.register("Ana@Example.com")
            #expect(created.status == .created)
            #expect(created.json() as NSDictionary == ["message": "User created successfully"])
            let again = try await client.register("ana@example.com")
            #expect(again.status == .badRequest)
            #expect(again.json() as NSDictionary == ["detail": "Email already registered"])

            let badEmail = try await client.register("not-an-email")
            #expect(badEmail.status == .unprocessableEntity)
            #expect((badEmail.json()["detail"] as? [[String: Any]])?.first?["loc"] as? [String] == ["body", "email"])
            let short = try await client.register("bo@example.com", password: "seven77")
            #expect(short.status == .unprocessableEntity)
            #expect(!short.body.string.contains("seven77"))

            let user = try #require(try await User.query(on: app.db).filter(\.$email == "ana@example.com").first())
            #expect(user.role == .trader)
            #expect(user.passwordHash.hasPrefix("$2"))
            #expect(try await client.auditActions() == ["auth.register.success"])
        }
    }

    @Test(arguments: TestDatabase.all)
    func loginIssuesAJWTWithTheContractClaims(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            try await client.register("ana@example.com")
            let response = try await client.login("ANA@example.com")
            #expect(response.status == .ok)
            let body = response.json()
            #expect(body["token_type"] as? String == "bearer")
            #expect(body["expires_in"] as? Int == 3600)
            let token = try #require(body["access_token"] as? String)
            #expect(token.count > 100)
            #expect((body["refresh_token"] as? String)?.count ?? 0 >= 43)
            let claims = jwtPayload(token)
            #expect(claims["sub"] as? String == "ana@example.com")
            #expect(claims["role"] as? String == "trader")
            #expect(claims["jti"] is String && claims["sid"] is String && claims["uid"] is String)
            let iat = try #require(claims["iat"] as? Double)
            let exp = try #require(claims["exp"] as? Double)
            #expect(exp - iat == 3600)
            // Integer seconds and lower-case UUIDs, as crypto-saas's PyJWT tokens carry them.
            let payloadText = String(decoding: Base64URL.decode(String(token.split(separator: ".")[1]))!, as: UTF8.self)
            #expect(
                payloadText.contains(#""iat":\#(Int(iat))"#) && payloadText.contains(#""exp":\#(Int(exp))"#),
                "\(payloadText)")
            #expect(
                iat == iat.rounded() && !payloadText.contains(#""iat":\#(Int(iat))."#)
                    && !payloadText.contains(#""exp":\#(Int(exp))."#), "\(payloadText)")
            for claim in ["uid", "sid", "jti"] {
                let value = try #require(claims[claim] as? String)
                #expect(value == value.lowercased() && UUID(uuidString: value) != nil, "\(claim)=\(value)")
            }
            let header = String(decoding: Base64URL.decode(String(token.split(separator: ".")[0]))!, as: UTF8.self)
            #expect(header.contains(#""alg":"HS256""#))

            let me = try await client.send(.GET, "users/me", token: token)
            #expect(me.status == .ok)
            #expect(me.json()["email"] as? String == "ana@example.com")
            #expect(me.json()["two_factor_enabled"] as? Bool == false)
            #expect(me.json()["risk_profile"] as? String == "model2_conservador_productivo")
        }
    }

    @Test(arguments: TestDatabase.all)
    func wrongCredentialsAreOneMessageAndAuditedWithoutThePassword(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            try await client.register("ana@example.com")
            for (email, password) in [("ana@example.com", "wrong-password-1"), ("ghost@example.com", "password-123")] {
                let response = try await client.login(email, password: password)
                #expect(response.status == .unauthorized)
                #expect(response.json() as NSDictionary == ["detail": "Incorrect email or password"])
            }
            let failures = try await AuditEntry.query(on: app.db).filter(\.$action == "auth.login.failed").all()
            #expect(failures.count == 2)
            #expect(failures.allSatisfy { !($0.details ?? "").contains("wrong-password-1") })
            #expect(failures.first?.details?.contains(#""reason":"bad_credentials""#) == true)
            // The unknown account's failure has no user.
            #expect(failures.last?.userID == nil)
        }
    }

    @Test(arguments: TestDatabase.all)
    func fiveFailuresLockTheAccountEvenForTheRightPassword(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            try await client.register("ana@example.com")
            for _ in 0..<4 { _ = try await client.login("ana@example.com", password: "wrong-password-1") }
            // Four failures: the right password still works, and resets the count.
            #expect(try await client.login("ana@example.com").status == .ok)
            for _ in 0..<5 { _ = try await client.login("ana@example.com", password: "wrong-password-1") }
            let locked = try await client.login("ana@example.com")
            #expect(locked.status == .tooManyRequests)
            let retryAfter = try #require(locked.headers.first(name: "Retry-After").flatMap(Int.init))
            #expect((1...900).contains(retryAfter))
            #expect((locked.json()["detail"] as? String)?.hasPrefix("Too many failed login attempts") == true)
            // Another account is unaffected.
            try await client.register("bo@example.com")
            #expect(try await client.login("bo@example.com").status == .ok)
            let throttled = try await AuditEntry.query(on: app.db).filter(\.$action == "auth.login.failed").all()
                .filter { $0.details?.contains("throttled") == true }
            #expect(throttled.count == 1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func bearerTokensAreCheckedStrictly(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@example.com")
            let claims = jwtPayload(token)

            let missing = try await client.send(.GET, "users/me")
            #expect(missing.status == .unauthorized)
            #expect(missing.json() as NSDictionary == ["detail": "Not authenticated"])

            // RFC 7519 §6.1 unsecured token, and RFC 7515 A.1's HS256 example (expired, other key).
            let refused = [
                "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.",
                "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                "garbage",
                Self.tampered(token),
                Self.unsigned(copying: claims),
                try await Self.signed(claims, key: String(repeating: "k", count: 32), expOffset: 3600),
                try await Self.signed(claims, key: app.appConfig.jwtSecret, expOffset: -10),
            ]
            for candidate in refused {
                let response = try await client.send(.GET, "users/me", token: candidate)
                #expect(response.status == .unauthorized, "accepted: \(candidate)")
                #expect(response.json() as NSDictionary == ["detail": "Invalid authentication credentials"])
            }
            // The same claims signed with our key and a live expiry are accepted: the refusals above
            // are about the token, not the claims.
            let resigned = try await Self.signed(claims, key: app.appConfig.jwtSecret, expOffset: 600)
            #expect(try await client.send(.GET, "users/me", token: resigned).status == .ok)
        }
    }

    static func tampered(_ token: String) -> String {
        var parts = token.split(separator: ".").map(String.init)
        var payload = jwtPayload(token)
        payload["role"] = "admin"
        let data = try! JSONSerialization.data(withJSONObject: payload)
        parts[1] = Base64URL.encode(data)
        return parts.joined(separator: ".")
    }

    static func unsigned(copying claims: [String: Any]) -> String {
        let header = Base64URL.encode(Data(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(try! JSONSerialization.data(withJSONObject: claims))
        return "\(header).\(payload)."
    }

    static func signed(_ claims: [String: Any], key: String, expOffset: TimeInterval) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: key), digestAlgorithm: .sha256, kid: "signaldesk-hs256")
        let now = Date()
        let payload = AccessClaims(
            sub: .init(value: claims["sub"] as! String), uid: claims["uid"] as! String, role: claims["role"] as! String,
            iat: .init(value: now), exp: .init(value: now.addingTimeInterval(expOffset)),
            jti: .init(value: UUID().uuidString), sid: claims["sid"] as! String)
        return try await keys.sign(payload, kid: "signaldesk-hs256")
    }
}
