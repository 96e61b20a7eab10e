import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// Sign-in with an Ethereum wallet (contract.md, "Wallet identity"): the server issues a message
/// with a single-use nonce bound to an address; the wallet signs it with EIP-191 `personal_sign`;
/// the signature must recover to that address. Every refusal of the signature, the nonce or the
/// message is one ``Refusal/invalidSignature``, so a caller learns nothing about which part failed.
///
/// A wallet user is an ordinary `users` row (a trader) with no password and no mailbox: its
/// `email` column holds ``accountName(for:)``, `0x<address>@wallet.invalid`, which is unique,
/// never deliverable, names the address wherever operators see users (posture, dashboard, audit
/// filters, the admin routes by email), and keys the login throttle as an email does.
struct WalletSignIn {
    enum Refusal: Error, Equatable {
        /// `wallet_address` is not an address (422).
        case malformedAddress
        /// Wrong signer, nonce unknown, used, expired or issued for another address, message altered.
        case invalidSignature
        case userExists
        case userNotFound
        case disabled
        case throttled(retryAfter: Int)
        /// The user enabled 2FA and sent no `otp`.
        case otpRequired
        case invalidOTP
    }

    /// A message issued for an address.
    struct IssuedMessage {
        let message: String
        let nonce: String
        let expiresAt: Date
    }

    /// What a new wallet user is told once.
    struct Registration {
        let userID: UUID
        let webhookUUID: String
        let webhookSecret: String
    }

    static let nonceLifetime: TimeInterval = 5 * 60
    static let messageTitle = "Sign this message to authenticate with SignalDesk."
    /// The `password_hash` of a wallet user: not a Bcrypt hash, so no password ever matches it.
    static let noPassword = "!wallet-no-password"

    let app: Application
    let db: any Database

    var now: Date { app.wallClock.now() }

    /// The account name (`users.email`) of the wallet user of `address`.
    static func accountName(for address: EthereumAddress) -> String { WalletAccountName.make(for: address) }

    /// The address of a wallet account name, nil for any other email.
    static func address(ofAccountName email: String) -> EthereumAddress? { WalletAccountName.address(of: email) }

    static func parseAddress(_ text: String) throws(Refusal) -> EthereumAddress {
        guard let address = EthereumAddress(text.trimmingCharacters(in: .whitespaces)) else {
            throw .malformedAddress
        }
        return address
    }

    /// Issues and stores a new message for `addressText`; expired nonces are removed on the way.
    func issueMessage(for addressText: String) async throws -> IssuedMessage {
        let address = try Self.parseAddress(addressText)
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let nonce = Hex.encode(SecureBytes.random(count: 16))
        let message = [
            Self.messageTitle, "", "Wallet: \(address.checksummed)", "Nonce: \(nonce)",
            "Issued At: \(issuedAt.formatted(.iso8601))",
        ].joined(separator: "\n")
        let expiresAt = issuedAt.addingTimeInterval(Self.nonceLifetime)
        try await WalletNonceStore().deleteExpired(before: issuedAt, on: db)
        try await WalletNonce(
            nonce: nonce, address: address.lowercased, message: message, issuedAt: issuedAt, expiresAt: expiresAt
        ).create(on: db)
        return IssuedMessage(message: message, nonce: nonce, expiresAt: expiresAt)
    }

    /// Creates the wallet user of a signed message, its webhook and its first webhook secret.
    func register(addressText: String, message: String, signature: String) async throws -> Registration {
        let address = try Self.parseAddress(addressText)
        let now = self.now
        let nonce = try await verifiedNonce(address: address, message: message, signature: signature, now: now)
        if try await WalletIdentity.query(on: db).filter(\.$address == address.lowercased).first() != nil {
            throw Refusal.userExists
        }
        let userID = UUID()
        let webhookUUID = UUID().uuidString.lowercased()
        let secret = Hex.encode(SecureBytes.random(count: 32))
        let ring = app.appConfig.keyRing
        let endpoint = WebhookEndpoint()
        endpoint.$user.id = userID
        endpoint.webhookUUID = webhookUUID
        endpoint.secretSealed = try ring.seal(secret, context: SealedField.webhookSecret.context(owner: userID))
        endpoint.secretDigest = WebhookIntake.digest(Array(secret.utf8))
        endpoint.enabled = true
        let user = User(id: userID, email: Self.accountName(for: address), passwordHash: Self.noPassword, role: .trader)
        do {
            try await app.stores.transactions.run(on: db) { tx in
                guard try await WalletNonceStore().use(nonce: nonce, address: address.lowercased, now: now, on: tx)
                else { throw Refusal.invalidSignature }
                try await user.create(on: tx)
                try await WalletIdentity(userID: userID, address: address.lowercased, createdAt: now).create(on: tx)
                try await endpoint.create(on: tx)
                try await AuditLog.record(
                    AuditAction.authWalletRegister, userID: userID, entityType: "user", entityID: userID.uuidString,
                    details: ["wallet_address": .string(address.checksummed)], on: tx, at: now)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // A concurrent registration of the same address won.
            throw Refusal.userExists
        }
        return Registration(userID: userID, webhookUUID: webhookUUID, webhookSecret: secret)
    }

    /// Signs the wallet user of a signed message in: the same throttle, sessions and audit as a
    /// password login (``LoginFlow``), keyed by the account name. A wallet user who enabled 2FA
    /// must send `otp` too (the dYdX clients send none, so 2FA is the user's choice).
    func login(addressText: String, message: String, signature: String, otp: String? = nil) async throws -> (
        TokenPair, User
    ) {
        let address = try Self.parseAddress(addressText)
        let now = self.now
        let account = Self.accountName(for: address)
        let identity = try await WalletIdentity.query(on: db).filter(\.$address == address.lowercased).first()
        if let retryAfter = try await retryAfter(account: account, now: now) {
            try await refuse(account: account, userID: identity?.$user.id, reason: "throttled", record: false, now: now)
            throw Refusal.throttled(retryAfter: retryAfter)
        }
        let nonce: String
        do {
            nonce = try await verifiedNonce(address: address, message: message, signature: signature, now: now)
        } catch Refusal.invalidSignature {
            try await refuse(account: account, userID: identity?.$user.id, reason: "invalid_signature", now: now)
            throw Refusal.invalidSignature
        }
        // The signer proved the address is theirs: telling them it has no account leaks nothing.
        guard let identity, let user = try await User.find(identity.$user.id, on: db), let userID = user.id else {
            throw Refusal.userNotFound
        }
        guard user.role != .disabled else {
            try await refuse(account: account, userID: userID, reason: "disabled", now: now)
            throw Refusal.disabled
        }
        let twoFactor = TwoFactorService(keyRing: app.appConfig.keyRing, db: db)
        if let enrolment = try await twoFactor.enrolment(userID: userID), enrolment.enabled {
            guard let otp, !otp.isEmpty else {
                try await refuse(account: account, userID: userID, reason: "otp_required", record: false, now: now)
                throw Refusal.otpRequired
            }
            guard try await twoFactor.consume(code: otp, for: enrolment, now: now) else {
                try await refuse(account: account, userID: userID, reason: "invalid_otp", now: now)
                throw Refusal.invalidOTP
            }
        }
        let pair = try await app.stores.transactions.run(on: db) { tx in
            guard try await WalletNonceStore().use(nonce: nonce, address: address.lowercased, now: now, on: tx) else {
                throw Refusal.invalidSignature
            }
            try await LoginAttempt(email: account, succeeded: true, at: now).create(on: tx)
            let pair = try await TokenService(app: app, db: tx).issue(for: user, now: now)
            try await AuditLog.record(
                AuditAction.authLoginSuccess, userID: userID, entityType: "user", entityID: userID.uuidString,
                details: ["method": .string("wallet"), "wallet_address": .string(address.checksummed)], on: tx, at: now)
            return pair
        }
        return (pair, user)
    }

    /// The nonce of `message` when the message is the one issued for `address`, still unused and
    /// unexpired, and `signature` recovers to `address`. Does not use the nonce up.
    private func verifiedNonce(
        address: EthereumAddress, message: String, signature: String, now: Date
    ) async throws -> String {
        let nonceLine = message.split(separator: "\n", omittingEmptySubsequences: false)
            .first { $0.hasPrefix("Nonce: ") }
        guard let nonce = nonceLine.map({ String($0.dropFirst("Nonce: ".count)) }), !nonce.isEmpty,
            let issued = try await WalletNonce.query(on: db).filter(\.$nonce == nonce).first(),
            ConstantTime.equals(issued.address, address.lowercased),
            issued.usedAt == nil, issued.expiresAt > now,
            ConstantTime.equals(issued.message, message),
            let signer = try? PersonalSign.recoverAddress(message: message, signature: signature),
            signer == address
        else { throw Refusal.invalidSignature }
        return nonce
    }

    private func retryAfter(account: String, now: Date) async throws -> Int? {
        let since = now.addingTimeInterval(-LoginFlow.throttle.window)
        let attempts = try await LoginAttempt.query(on: db)
            .filter(\.$email == account).filter(\.$createdAt > since)
            .all()
            .map { LoginThrottle.Attempt(at: $0.createdAt, succeeded: $0.succeeded) }
        return LoginFlow.throttle.retryAfter(attempts: attempts, now: now)
    }

    /// Records a failed attempt (when it counts toward throttling) and audits the refusal; the
    /// signature and the message are never written.
    private func refuse(account: String, userID: UUID?, reason: String, record: Bool = true, now: Date) async throws {
        if record { try await LoginAttempt(email: account, succeeded: false, at: now).create(on: db) }
        try await AuditLog.record(
            AuditAction.authLoginFailed, userID: userID, entityType: "user", entityID: userID?.uuidString,
            details: ["email": .string(account), "method": .string("wallet"), "reason": .string(reason)], on: db,
            at: now)
    }
}
