import Fluent
import SignalDeskCore
import Vapor

/// TOTP enrolment and verification. Seeds are sealed with the key ring, bound to their user; a
/// code is accepted at most once per user, enforced by an atomic compare-and-set on the last
/// accepted time step so two concurrent logins cannot both use it.
struct TwoFactorService {
    static let issuer = "SignalDesk"

    let keyRing: KeyRing
    let db: any Database

    static func sealContext(userID: UUID) -> SealContext {
        SealedField.totpSeed.context(owner: userID)
    }

    func enrolment(userID: UUID) async throws -> TwoFactor? {
        try await TwoFactor.query(on: db).filter(\.$user.$id == userID).first()
    }

    /// A fresh seed for `user`, replacing an enrolment that was never enabled.
    func setUp(userID: UUID, email: String) async throws -> (secret: String, uri: String) {
        let seed = TOTP.generateSecret()
        let sealed = try keyRing.seal(seed, context: Self.sealContext(userID: userID))
        if let existing = try await enrolment(userID: userID) {
            existing.secretSealed = sealed
            existing.lastUsedStep = nil
            try await existing.save(on: db)
        } else {
            try await TwoFactor(userID: userID, secretSealed: sealed).create(on: db)
        }
        return (Base32.encode(seed), TOTP.provisioningURI(secret: seed, account: email, issuer: Self.issuer))
    }

    /// A fresh seed for `user`, enabled at once (an admin's recovery: the user signs in with it next).
    /// Run it in a transaction: the seed and the flag change together.
    func reprovision(userID: UUID, email: String) async throws -> (secret: String, uri: String) {
        let fresh = try await setUp(userID: userID, email: email)
        guard let row = try await enrolment(userID: userID) else { throw TwoFactorMissing() }
        row.enabled = true
        try await row.save(on: db)
        return fresh
    }

    struct TwoFactorMissing: Error {}

    /// True when `code` is valid now and newer than any code this user used before; the code is
    /// then spent.
    func consume(code: String, for enrolment: TwoFactor, now: Date) async throws -> Bool {
        let userID = enrolment.$user.id
        let seed = try keyRing.open(enrolment.secretSealed, context: Self.sealContext(userID: userID))
        guard let step = TOTP.validate(secret: seed, code: code, at: now) else { return false }
        if let last = enrolment.lastUsedStep, step <= last { return false }
        let spent = try await TwoFactorStore().spend(
            step: step, enrolmentID: try enrolment.requireID(), now: now, on: db)
        guard spent else { return false }
        enrolment.lastUsedStep = step
        return true
    }
}
