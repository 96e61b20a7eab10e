import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// `/api/auth/*` (issue 22): the message, registration and login with a wallet signature, and
/// every refusal the contract lists, on both databases.
@Suite struct WalletAuthTests {
    @Test(arguments: TestDatabase.all)
    func generatedMessageHasTheContractLinesAndAFiveMinuteNonce(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let clock = MovableClock(Date(timeIntervalSince1970: 1_796_306_400))  // 2026-12-03T14:00:00Z
            app.wallClock = clock
            let client = Client(app: app)
            let lower = TestWallet.reference.address.lowercased()
            let response = try await client.send(.GET, "api/auth/generate-message?wallet_address=\(lower)")
            #expect(response.status == .ok)
            let body = response.json()
            let nonce = try #require(body["nonce"] as? String)
            #expect(nonce.count == 32)
            #expect(
                body["message"] as? String
                    == "Sign this message to authenticate with SignalDesk.\n\nWallet: 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23\nNonce: \(nonce)\nIssued At: 2026-12-03T14:00:00Z"
            )
            #expect(body["expires_at"] as? String == "2026-12-03T14:05:00Z")
            let stored = try #require(try await WalletNonce.query(on: app.db).filter(\.$nonce == nonce).first())
            #expect(stored.address == lower)
            // Each call issues a new nonce.
            let again = try await client.send(.GET, "api/auth/generate-message?wallet_address=\(lower)").json()
            #expect(again["nonce"] as? String != nonce)
        }
    }

    @Test(arguments: TestDatabase.all)
    func malformedAddressesAre422(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            for query in [
                "wallet_address=0x1234", "wallet_address=2c7536e3605d9c16a7a3d7b1898e529396a65c23",
                // One letter's case flipped: a wrong EIP-55 checksum.
                "wallet_address=0x2c7536E3605D9C16a7a3D7b1898e529396a65C23", "",
            ] {
                let response = try await client.send(.GET, "api/auth/generate-message?\(query)")
                #expect(response.status == .unprocessableEntity, "\(query): \(response.body.string)")
            }
            let message = try await client.walletMessage(TestWallet.reference.address)
            let response = try await client.walletPost(
                "create-user", address: "0xnothex", message: message, signature: TestWallet.reference.sign(message))
            #expect(response.status == .unprocessableEntity)
            let missing = try await client.send(
                .POST, "api/auth/login", json: ["wallet_address": TestWallet.reference.address])
            #expect(missing.status == .unprocessableEntity)
        }
    }

    @Test(arguments: TestDatabase.all)
    func createUserAnswersTheWebhookOnceAndLoginIssuesASession(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let wallet = TestWallet.random()
            let message = try await client.walletMessage(wallet.address.lowercased())
            let created = try await client.walletPost(
                "create-user", address: wallet.address.lowercased(), message: message, signature: wallet.sign(message))
            #expect(created.status == .created)
            let registration = created.json()
            let secret = try #require(registration["webhook_secret"] as? String)
            #expect(secret.count == 64)
            let webhookUUID = try #require(registration["webhook_uuid"] as? String)

            let user = try #require(
                try await User.query(on: app.db).filter(\.$email == "\(wallet.address.lowercased())@wallet.invalid")
                    .first())
            #expect(user.role == .trader)
            let endpoint = try #require(
                try await WebhookEndpoint.query(on: app.db).filter(\.$user.$id == user.id!).first())
            #expect(endpoint.webhookUUID == webhookUUID)
            #expect(!endpoint.secretSealed.contains(secret))
            let actions = try await client.auditActions(userEmail: user.email)
            #expect(actions == ["auth.wallet.register"])

            let loginMessage = try await client.walletMessage(wallet.address)
            // The signature's hex in upper case and v as 0/1: still the same signer.
            let signature = wallet.sign(loginMessage)
            let v = UInt8(signature.suffix(2), radix: 16)! - 27
            let variant = "0x" + signature.dropFirst(2).dropLast(2).uppercased() + String(format: "%02x", v)
            let response = try await client.walletPost(
                "login", address: wallet.address, message: loginMessage, signature: variant)
            #expect(response.status == .ok, "\(response.body.string)")
            let body = response.json()
            #expect(body["token_type"] as? String == "bearer")
            #expect(body["expires_in"] as? Int == 3600)
            let userData = try #require(body["user_data"] as? [String: Any])
            #expect(userData["wallet_address"] as? String == wallet.address)
            #expect(userData["webhook_uuid"] as? String == webhookUUID)
            #expect(userData["has_credentials"] as? Bool == false)
            #expect(userData["created_at"] is String)
            let access = try #require(body["access_token"] as? String)
            let claims = jwtPayload(access)
            #expect(claims["uid"] as? String == user.id?.uuidString.lowercased())
            #expect(claims["role"] as? String == "trader")

            // The session is an ordinary one: authenticated routes, refresh rotation.
            let me = try await client.send(.GET, "users/me", token: access)
            #expect(me.status == .ok)
            let refreshed = try await client.send(
                .POST, "auth/refresh", json: ["refresh_token": try #require(body["refresh_token"] as? String)])
            #expect(refreshed.status == .ok)
            #expect(try await client.auditActions(userEmail: user.email).contains("auth.login.success"))
            // A wallet account has no password: a password login with its account name is refused.
            let passwordLogin = try await client.login(user.email, password: WalletSignIn.noPassword)
            #expect(passwordLogin.status == .unauthorized)
        }
    }

    /// Every refusal of the contract's list is 401 `Invalid signature`, and none creates a user.
    @Test(arguments: TestDatabase.all)
    func everySignatureRefusalIs401InvalidSignature(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let clock = MovableClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            app.wallClock = clock
            let client = Client(app: app)
            let wallet = TestWallet.random()
            let other = TestWallet.random()

            func expectRefused(_ message: String, _ signature: String, address: String? = nil, _ label: String)
                async throws
            {
                let response = try await client.walletPost(
                    "create-user", address: address ?? wallet.address, message: message, signature: signature)
                #expect(response.status == .unauthorized, "\(label): \(response.status) \(response.body.string)")
                #expect(response.json()["detail"] as? String == "Invalid signature", "\(label)")
            }

            // Signed by another key.
            var message = try await client.walletMessage(wallet.address)
            try await expectRefused(message, other.sign(message), "another key")
            // Altered after issue (the nonce kept): the message is not the one issued.
            let altered = message.replacingOccurrences(of: "authenticate", with: "authenticatE")
            try await expectRefused(altered, wallet.sign(altered), "altered message")
            // A nonce the server never issued.
            let forged = message.replacingOccurrences(
                of: message.split(separator: "\n")[3], with: "Nonce: " + String(repeating: "ab", count: 16))
            try await expectRefused(forged, wallet.sign(forged), "unknown nonce")
            // The malleable high-S twin of a valid signature.
            try await expectRefused(message, Self.highSTwin(of: wallet.sign(message)), "high S")
            // Garbage and wrong lengths.
            try await expectRefused(message, "0x1234", "short signature")
            try await expectRefused(message, wallet.sign(message) + "00", "long signature")
            // A nonce issued for another address, signed by the claimed address's own key.
            let othersMessage = try await client.walletMessage(other.address)
            try await expectRefused(othersMessage, wallet.sign(othersMessage), "nonce of another address")
            // ... or claimed by another address that signed it.
            try await expectRefused(message, other.sign(message), address: other.address, "claimed by another address")
            #expect(try await User.query(on: app.db).count() == 0)

            // Expired: valid for 5 minutes.
            clock.advance(by: 5 * 60 + 1)
            try await expectRefused(message, wallet.sign(message), "expired")

            // Used: the first use succeeds, a replay is refused (for create-user and for login).
            message = try await client.walletMessage(wallet.address)
            let created = try await client.walletPost(
                "create-user", address: wallet.address, message: message, signature: wallet.sign(message))
            #expect(created.status == .created)
            try await expectRefused(message, wallet.sign(message), "replayed registration")
            let login = try await client.walletMessage(wallet.address)
            let first = try await client.walletPost(
                "login", address: wallet.address, message: login, signature: wallet.sign(login))
            #expect(first.status == .ok)
            let replay = try await client.walletPost(
                "login", address: wallet.address, message: login, signature: wallet.sign(login))
            #expect(replay.status == .unauthorized)
            #expect(replay.json()["detail"] as? String == "Invalid signature")
        }
    }

    @Test(arguments: TestDatabase.all)
    func existingUserIs409AndUnknownUserIs404(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let wallet = TestWallet.random()
            var message = try await client.walletMessage(wallet.address)
            let unknown = try await client.walletPost(
                "login", address: wallet.address, message: message, signature: wallet.sign(message))
            #expect(unknown.status == .notFound)
            #expect(unknown.json()["detail"] as? String == "User not found. Please create account first.")
            // A 404 does not use the nonce: the same message then creates the account.
            let created = try await client.walletPost(
                "create-user", address: wallet.address, message: message, signature: wallet.sign(message))
            #expect(created.status == .created)
            message = try await client.walletMessage(wallet.address)
            let again = try await client.walletPost(
                "create-user", address: wallet.address.lowercased(), message: message, signature: wallet.sign(message))
            #expect(again.status == .conflict)
            #expect(again.json()["detail"] as? String == "User already exists")
            #expect(try await WalletIdentity.query(on: app.db).count() == 1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func failedWalletLoginsLockTheAccountOutAndAreAudited(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let wallet = TestWallet.random()
            _ = try await client.walletSignIn(wallet)
            let other = TestWallet.random()
            for _ in 0..<5 {
                let message = try await client.walletMessage(wallet.address)
                let response = try await client.walletPost(
                    "login", address: wallet.address, message: message, signature: other.sign(message))
                #expect(response.status == .unauthorized)
            }
            let message = try await client.walletMessage(wallet.address)
            let locked = try await client.walletPost(
                "login", address: wallet.address, message: message, signature: wallet.sign(message))
            #expect(locked.status == .tooManyRequests)
            #expect(Int(locked.headers.first(name: "Retry-After") ?? "") ?? 0 > 0)
            let account = "\(wallet.address.lowercased())@wallet.invalid"
            let actions = try await client.auditActions(userEmail: account)
            #expect(actions.filter { $0 == "auth.login.failed" }.count == 6)
            // Neither the signature nor the message reaches the audit details.
            let details = try await AuditEntry.query(on: app.db).all().compactMap(\.details).joined()
            #expect(!details.contains(String(wallet.sign(message).dropFirst(2).prefix(40))))
            #expect(!details.contains("Nonce"))
        }
    }

    @Test(arguments: TestDatabase.all)
    func verifyAndLogout(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let wallet = TestWallet.random()
            let (access, refresh, _) = try await client.walletSignIn(wallet)
            let verified = try await client.send(.GET, "api/auth/verify", token: access)
            #expect(verified.status == .ok)
            let body = verified.json()
            #expect(body["valid"] as? Bool == true)
            #expect(body["user_address"] as? String == wallet.address)
            #expect(body["expires_at"] is String)
            for token in [nil, "not-a-token", access + "x"] {
                let response = try await client.send(.GET, "api/auth/verify", token: token)
                #expect(response.status == .ok)
                #expect(response.body.string == #"{"valid":false}"#)
            }
            // A password user's token is valid too, with no address.
            let (passwordAccess, _) = try await client.signIn("pat@wallets.co")
            let password = try await client.send(.GET, "api/auth/verify", token: passwordAccess).json()
            #expect(password["valid"] as? Bool == true)
            #expect(password["user_address"] is NSNull)

            let out = try await client.send(.POST, "api/auth/logout", json: ["refresh_token": refresh])
            #expect(out.status == .ok)
            #expect(out.json()["message"] as? String == "Successfully logged out")
            #expect(try await client.send(.GET, "api/auth/verify", token: access).json()["valid"] as? Bool == false)
            #expect(
                try await client.send(.POST, "auth/refresh", json: ["refresh_token": refresh]).status == .unauthorized)
        }
    }

    /// (r, n − s, v flipped): the same signer's other, malleable signature.
    static func highSTwin(of signature: String) -> String {
        let bytes = Hex.decode(String(signature.dropFirst(2)))!
        let order = Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")!
        var s = Array(bytes[32..<64])
        // n − s, byte-wise with borrow (test arithmetic on a constant, not curve code).
        var borrow = 0
        for index in stride(from: 31, through: 0, by: -1) {
            let difference = Int(order[index]) - Int(s[index]) - borrow
            s[index] = UInt8((difference + 256) % 256)
            borrow = difference < 0 ? 1 : 0
        }
        let v = bytes[64] == 27 ? UInt8(28) : UInt8(27)
        return "0x" + Hex.encode(Array(bytes[0..<32]) + s + [v])
    }
}

@Suite struct WalletMessageLimitTests {
    /// Anyone may ask for messages, and each is a row: 10 a minute per address.
    @Test func messagesPerAddressAreLimited() async throws {
        try await withTestApp(.sqlite) { app in
            let clock = MovableClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            app.wallClock = clock
            let client = Client(app: app)
            let wallet = TestWallet.random()
            for _ in 0..<10 { _ = try await client.walletMessage(wallet.address) }
            let limited = try await client.send(
                .GET, "api/auth/generate-message?wallet_address=\(wallet.address.lowercased())")
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers.first(name: "Retry-After") ?? "") ?? 0 > 0)
            // Another address is not held back; the first is again after the window.
            _ = try await client.walletMessage(TestWallet.random().address)
            clock.advance(by: 61)
            _ = try await client.walletMessage(wallet.address)
        }
    }
}

@Suite struct WalletTwoFactorTests {
    /// 2FA is optional for wallet users; once enabled, the wallet login asks for `otp` as the
    /// password login does (the dYdX clients send none until their user enables it).
    @Test(arguments: TestDatabase.all)
    func aWalletUserWithTwoFactorMustSendAnOTP(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let wallet = TestWallet.random()
            let (token, _, _) = try await client.walletSignIn(wallet)
            let setup = try await client.send(.POST, "auth/2fa/setup", token: token)
            let secret = try #require(setup.json()["secret"] as? String)
            let enabled = try await client.send(
                .POST, "auth/2fa/verify-enable", token: token, json: ["otp": totp(secret)])
            #expect(enabled.status == .ok)

            func login(otp: String?) async throws -> TestingHTTPResponse {
                let message = try await client.walletMessage(wallet.address)
                var body: [String: Any] = [
                    "wallet_address": wallet.address, "message": message, "signature": wallet.sign(message),
                ]
                if let otp { body["otp"] = otp }
                return try await client.send(.POST, "api/auth/login", json: body)
            }
            let missing = try await login(otp: nil)
            #expect(missing.status == .unauthorized)
            #expect(missing.json()["detail"] as? String == "OTP required")
            let wrong = try await login(otp: totp(secret, steps: -10))
            #expect(wrong.status == .unauthorized)
            #expect(wrong.json()["detail"] as? String == "Invalid OTP")
            let good = try await login(otp: totp(secret, steps: 1))
            #expect(good.status == .ok, "\(good.body.string)")
        }
    }
}
