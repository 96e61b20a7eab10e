import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// A wallet a test signs with (the server only ever sees its address and signatures).
struct TestWallet {
    let privateKey: [UInt8]

    /// REFERENCE.md's key: address 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23.
    static let reference = TestWallet(hex: "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")

    init(hex: String) { privateKey = Hex.decode(hex)! }

    /// A fresh random key.
    static func random() -> TestWallet {
        while true {
            let key = SecureBytes.random(count: 32)
            if Secp256k1.isValidPrivateKey(key) { return TestWallet(hex: Hex.encode(key)) }
        }
    }

    var address: String {
        EthereumAddress(publicKey: Secp256k1.publicKey(privateKey: privateKey, compressed: false)!)!.checksummed
    }

    func sign(_ message: String) -> String { PersonalSign.sign(message: message, privateKey: privateKey)! }
}

extension Client {
    /// `GET /api/auth/generate-message` for `address`: the message to sign.
    func walletMessage(_ address: String) async throws -> String {
        let response = try await send(.GET, "api/auth/generate-message?wallet_address=\(address)")
        guard response.status == .ok, let message = response.json()["message"] as? String else {
            throw TestFailure("generate-message: \(response.status) \(response.body.string)")
        }
        return message
    }

    func walletPost(
        _ path: String, address: String, message: String, signature: String
    ) async throws -> TestingHTTPResponse {
        try await send(
            .POST, "api/auth/\(path)", json: ["wallet_address": address, "message": message, "signature": signature])
    }

    /// Registers `wallet` (when new) and signs it in; the access and refresh tokens and the
    /// webhook secret of the registration (nil when it existed).
    func walletSignIn(_ wallet: TestWallet) async throws -> (access: String, refresh: String, webhookSecret: String?) {
        let registerMessage = try await walletMessage(wallet.address)
        let created = try await walletPost(
            "create-user", address: wallet.address, message: registerMessage, signature: wallet.sign(registerMessage))
        guard created.status == .created || created.status == .conflict else {
            throw TestFailure("create-user: \(created.status) \(created.body.string)")
        }
        let message = try await walletMessage(wallet.address)
        let response = try await walletPost(
            "login", address: wallet.address, message: message, signature: wallet.sign(message))
        guard response.status == .ok else {
            throw TestFailure("wallet login: \(response.status) \(response.body.string)")
        }
        let body = response.json()
        return (
            body["access_token"] as! String, body["refresh_token"] as! String,
            created.status == .created ? created.json()["webhook_secret"] as? String : nil
        )
    }
}
