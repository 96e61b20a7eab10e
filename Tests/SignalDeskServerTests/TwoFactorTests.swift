import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct TwoFactorTests {
    /// Sets up and enables 2FA for a signed-in user; returns the base32 secret.
    static func enable(_ client: Client, token: String) async throws -> String {
        let setup = try await client.send(.POST, "auth/2fa/setup", token: token)
        let secret = try #require(setup.json()["secret"] as? String)
        let enabled = try await client.send(.POST, "auth/2fa/verify-enable", token: token, json: ["otp": totp(secret)])
        #expect(enabled.status == .ok)
        return secret
    }

    @Test(arguments: TestDatabase.all)
    func setupEnableAndLoginWithSingleUseCodes(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@example.com")

            let early = try await client.send(.POST, "auth/2fa/verify-enable", token: token, json: ["otp": "123456"])
            #expect(early.status == .notFound)
            #expect(early.json() as NSDictionary == ["detail": "2FA setup not found. Call /auth/2fa/setup first."])

            let setup = try await client.send(.POST, "auth/2fa/setup", token: token)
            #expect(setup.status == .ok)
            #expect(setup.json()["message"] as? String == "2FA secret generated. Verify with one OTP to enable.")
            let secret = try #require(setup.json()["secret"] as? String)
            let uri = try #require(setup.json()["otpauth_uri"] as? String)
            #expect(uri.hasPrefix("otpauth://totp/SignalDesk:ana%40example.com?secret=\(secret)&issuer=SignalDesk"))

            // The seed is sealed at rest, bound to its user.
            let stored = try #require(try await TwoFactor.query(on: app.db).first())
            #expect(!stored.secretSealed.contains(secret))
            #expect(KeyRing.keyID(ofSealed: stored.secretSealed) == "test1")

            let wrong = try await client.send(.POST, "auth/2fa/verify-enable", token: token, json: ["otp": "000000"])
            #expect(wrong.status == .badRequest)
            #expect(wrong.json() as NSDictionary == ["detail": "Invalid OTP"])

            let code = totp(secret)
            let enabled = try await client.send(.POST, "auth/2fa/verify-enable", token: token, json: ["otp": code])
            #expect(enabled.json() as NSDictionary == ["message": "2FA enabled"])

            let noOTP = try await client.login("ana@example.com")
            #expect(noOTP.status == .unauthorized)
            #expect(noOTP.json() as NSDictionary == ["detail": "OTP required"])
            // The code that enabled 2FA is spent.
            let replay = try await client.login("ana@example.com", otp: code)
            #expect(replay.status == .unauthorized)
            #expect(replay.json() as NSDictionary == ["detail": "Invalid OTP"])
            let next = totp(secret, steps: 1)
            #expect(try await client.login("ana@example.com", otp: next).status == .ok)
            #expect(try await client.login("ana@example.com", otp: next).status == .unauthorized)
            // An older code than the last accepted one is refused too.
            #expect(try await client.login("ana@example.com", otp: totp(secret, steps: -1)).status == .unauthorized)

            let me = try await client.send(.GET, "users/me", token: token)
            #expect(me.json()["two_factor_enabled"] as? Bool == true)
            let again = try await client.send(.POST, "auth/2fa/setup", token: token)
            #expect(again.status == .badRequest)
            let actions = try await client.auditActions(userEmail: "ana@example.com")
            #expect(actions.contains("auth.2fa.setup") && actions.contains("auth.2fa.enabled"))
        }
    }

    @Test(arguments: TestDatabase.all)
    func disableNeedsAFreshCode(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@example.com")
            let notEnabled = try await client.send(.POST, "auth/2fa/disable", token: token, json: ["otp": "123456"])
            #expect(notEnabled.status == .notFound)
            #expect(notEnabled.json() as NSDictionary == ["detail": "2FA is not enabled"])

            let setup = try await client.send(.POST, "auth/2fa/setup", token: token)
            let secret = try #require(setup.json()["secret"] as? String)
            // The very code that enabled 2FA, kept rather than computed again: a 30 s step may
            // begin between the two calls on a busy machine, and a new step means a fresh code.
            let used = totp(secret)
            #expect(
                try await client.send(.POST, "auth/2fa/verify-enable", token: token, json: ["otp": used]).status == .ok)
            let spent = try await client.send(.POST, "auth/2fa/disable", token: token, json: ["otp": used])
            #expect(spent.status == .badRequest)
            #expect(spent.json() as NSDictionary == ["detail": "Invalid OTP"])
            let disabled = try await client.send(
                .POST, "auth/2fa/disable", token: token, json: ["otp": totp(secret, steps: 1)])
            #expect(disabled.json() as NSDictionary == ["message": "2FA disabled"])
            #expect(try await client.login("ana@example.com").status == .ok)
            #expect(try await client.auditActions(userEmail: "ana@example.com").contains("auth.2fa.disabled"))
        }
    }

    @Test(arguments: TestDatabase.all)
    func enforcementRefusesAccountsWithout2FA(_ database: TestDatabase) async throws {
        try await withTestApp(
            database,
            adjust: {
                $0.enforce2FAForAdmins = true
                $0.enforce2FAEmails = ["cfo@example.com"]
            }
        ) { app in
            let client = Client(app: app)
            try await User(email: "root@example.com", passwordHash: try app.password.hash("password-123"), role: .admin)
                .create(on: app.db)
            try await client.register("cfo@example.com")
            try await client.register("ana@example.com")
            for email in ["root@example.com", "cfo@example.com"] {
                let response = try await client.login(email)
                #expect(response.status == .unauthorized)
                #expect(response.json() as NSDictionary == ["detail": "2FA must be enabled for this account"])
            }
            #expect(try await client.login("ana@example.com").status == .ok)
        }
    }

    @Test(arguments: TestDatabase.all)
    func adminResetsAUsers2FA(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (userToken, _) = try await client.signIn("ana@example.com")
            _ = try await Self.enable(client, token: userToken)
            let (adminToken, _) = try await client.signIn("root@example.com", role: .admin)

            let forbidden = try await client.send(.POST, "ops/admin/users/ana@example.com/reset-2fa", token: userToken)
            #expect(forbidden.status == .forbidden)
            let unknown = try await client.send(.POST, "ops/admin/users/ghost@example.com/reset-2fa", token: adminToken)
            #expect(unknown.json() as NSDictionary == ["detail": "User not found"])
            let reset = try await client.send(.POST, "ops/admin/users/ana@example.com/reset-2fa", token: adminToken)
            #expect(reset.json() as NSDictionary == ["message": "2FA reset for ana@example.com"])
            #expect(try await client.login("ana@example.com").status == .ok)
            #expect(try await client.auditActions(userEmail: "root@example.com").contains("auth.2fa.reset"))
        }
    }
}
