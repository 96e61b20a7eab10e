import Fluent
import SignalDeskCore
import Vapor

/// The login decision, in the order crypto-saas answers: throttle, credentials, 2FA enforcement,
/// OTP presence, OTP validity. Every refusal is audited as `auth.login.failed` with a reason and
/// never the password or code. Refusals are thrown as ``Refusal``; the controller answers them.
struct LoginFlow {
    /// Why a login was refused.
    enum Refusal: Error, Equatable {
        /// Too many failed attempts; the next may come after this many seconds.
        case throttled(retryAfter: Int)
        case badCredentials
        case disabled
        /// 2FA is enforced for the account and not enabled.
        case twoFactorNotEnabled
        case otpRequired
        case invalidOTP
        /// ENFORCE_PASSWORD_MAX_AGE: the password is older than PASSWORD_MAX_AGE_DAYS (said only
        /// to someone who proved the password and the second factor).
        case passwordExpired
    }

    static let throttle = LoginThrottle()

    let request: Request

    var db: any Database { request.db }
    var config: AppConfig { request.application.appConfig }

    func login(email: String, password: String, otp: String?, now: Date? = nil) async throws -> TokenPair {
        let now = now ?? request.application.wallClock.now()
        let (user, userID, enabled, attempt) = try await authenticate(
            email: email, password: password, otp: otp, now: now)
        if config.enforcePasswordMaxAge,
            AccountPolicy.passwordExpired(
                changedAt: user.passwordChangedAt ?? user.createdAt ?? now, now: now,
                maxAgeDays: config.passwordMaxAgeDays)
        {
            try await refuse(
                email: email, userID: userID, reason: "password_expired", attempt: attempt, record: false, now: now)
            throw Refusal.passwordExpired
        }
        try await succeeded(attempt)
        let pair = try await TokenService(app: request.application, db: db).issue(for: user, now: now)
        try await AuditLog.record(
            AuditAction.authLoginSuccess, userID: userID, entityType: "user", entityID: userID.uuidString,
            details: ["two_factor": .bool(enabled)], on: db, at: now)
        return pair
    }

    /// Sets a new password for someone who proves the current one (and the second factor): the
    /// way out of an expired password, open without a token (``AuthController``). Throttled and
    /// audited like a login; every session of the user is revoked.
    func changePassword(email: String, current: String, new: String, otp: String?, now: Date? = nil) async throws {
        let now = now ?? request.application.wallClock.now()
        let (user, userID, _, attempt) = try await authenticate(email: email, password: current, otp: otp, now: now)
        user.passwordHash = try await request.passwordHashing.hash(new)
        user.passwordChangedAt = now
        try await request.application.stores.transactions.run(on: db) { tx in
            try await user.save(on: tx)
            try await AuditLog.record(
                AuditAction.authPasswordChanged, userID: userID, entityType: "user", entityID: userID.uuidString,
                on: tx, at: now)
        }
        try await succeeded(attempt)
        _ = try await TokenService(app: request.application, db: db).revokeAll(userID: userID, now: now)
    }

    /// Throttle, credentials, 2FA enforcement, OTP: who the caller is, or a ``Refusal``.
    ///
    /// The attempt is recorded as a failure before anything is checked, and the throttle counts
    /// the account's other attempts after that: of attempts sent together, each one that reads
    /// later sees the others, so no more than `maxFailures` of them reach the password check (the
    /// throttle was read first once, and 12 wrong passwords at once were 12 guesses). The record
    /// becomes the attempt's outcome: kept as a failure, turned into a success, or removed when
    /// the refusal does not count (throttled, 2FA not enabled, OTP missing, password expired).
    private func authenticate(email: String, password: String, otp: String?, now: Date) async throws -> (
        user: User, userID: UUID, twoFactor: Bool, attempt: LoginAttempt
    ) {
        let attempt = LoginAttempt(email: email, succeeded: false, at: now)
        try await attempt.create(on: db)
        if let retryAfter = try await retryAfter(email: email, excluding: attempt, now: now) {
            try await refuse(email: email, userID: nil, reason: "throttled", attempt: attempt, record: false, now: now)
            throw Refusal.throttled(retryAfter: retryAfter)
        }
        let user: User?
        let passwordMatches: Bool
        do {
            user = try await User.query(on: db).filter(\.$email == email).first()
            passwordMatches = try await verify(password: password, hash: user?.passwordHash)
        } catch {
            // Not an attempt (the server stopping, the database failing): it does not count.
            try? await attempt.delete(on: db)
            throw error
        }
        guard let user, passwordMatches, let userID = user.id else {
            try await refuse(email: email, userID: user?.id, reason: "bad_credentials", attempt: attempt, now: now)
            throw Refusal.badCredentials
        }
        guard user.role != .disabled else {
            try await refuse(email: email, userID: userID, reason: "disabled", attempt: attempt, now: now)
            throw Refusal.disabled
        }

        let enrolment = try await TwoFactorService(keyRing: config.keyRing, db: db).enrolment(userID: userID)
        let enabled = enrolment?.enabled == true
        let enforced = (config.enforce2FAForAdmins && user.role == .admin) || config.enforce2FAEmails.contains(email)
        if enforced && !enabled {
            try await refuse(
                email: email, userID: userID, reason: "2fa_not_enabled", attempt: attempt, record: false, now: now)
            throw Refusal.twoFactorNotEnabled
        }
        if let enrolment, enabled {
            guard let otp else {
                try await refuse(
                    email: email, userID: userID, reason: "otp_required", attempt: attempt, record: false, now: now)
                throw Refusal.otpRequired
            }
            let service = TwoFactorService(keyRing: config.keyRing, db: db)
            guard try await service.consume(code: otp, for: enrolment, now: now) else {
                try await refuse(email: email, userID: userID, reason: "invalid_otp", attempt: attempt, now: now)
                throw Refusal.invalidOTP
            }
        }
        return (user, userID, enabled, attempt)
    }

    /// The throttle over the account's attempts in the window other than `attempt`, those recorded
    /// a moment later by attempts sent together included (judged as of the latest of them).
    private func retryAfter(email: String, excluding attempt: LoginAttempt, now: Date) async throws -> Int? {
        let since = now.addingTimeInterval(-Self.throttle.window)
        let attempts = try await LoginAttempt.query(on: db)
            .filter(\.$email == email).filter(\.$createdAt > since)
            .all()
            .filter { $0.id != attempt.id }
            .map { LoginThrottle.Attempt(at: $0.createdAt, succeeded: $0.succeeded) }
        let latest = attempts.map(\.at).max().map { max($0, now) } ?? now
        return Self.throttle.retryAfter(attempts: attempts, now: latest)
    }

    /// The attempt recorded before the checks, now a success.
    private func succeeded(_ attempt: LoginAttempt) async throws {
        attempt.succeeded = true
        try await attempt.save(on: db)
    }

    /// Bcrypt on the low-priority hashing threads (``PasswordHashing``). An unknown email still
    /// pays for one hash check, so response time does not tell which emails exist. A stored hash
    /// Bcrypt cannot read refuses the login; any other failure (the server stopping) is thrown, so
    /// it is neither counted as a failed attempt nor audited as one.
    /// A wallet user's account (``WalletSignIn/noPassword``) is checked like an unknown email: it
    /// has no password.
    private func verify(password: String, hash: String?) async throws -> Bool {
        let hash = hash == WalletSignIn.noPassword ? nil : hash
        let target = hash ?? request.application.decoyPasswordHash
        do {
            return try await request.passwordHashing.verify(password, created: target) && hash != nil
        } catch let error as BcryptError {
            request.logger.error("Stored credential hash of this account is unreadable: \(error)")
            return false
        }
    }

    /// Keeps the attempt as a failure (when it counts toward throttling; otherwise removes it) and
    /// audits the refusal.
    private func refuse(
        email: String, userID: UUID?, reason: String, attempt: LoginAttempt, record: Bool = true, now: Date
    ) async throws {
        if !record { try await attempt.delete(on: db) }
        try await AuditLog.record(
            AuditAction.authLoginFailed, userID: userID, entityType: "user", entityID: userID?.uuidString,
            details: ["email": .string(email), "reason": .string(reason)], on: db, at: now)
    }
}

extension Application {
    private struct DecoyHashKey: StorageKey {
        typealias Value = String
    }

    /// A Bcrypt hash of a random password at the configured cost, checked when a login names an
    /// unknown email. Made once by ``installDecoyPasswordHash()`` at configuration time.
    var decoyPasswordHash: String {
        storage[DecoyHashKey.self] ?? ""
    }

    func installDecoyPasswordHash() throws {
        storage[DecoyHashKey.self] = try password.hash(Base64URL.encode(SecureBytes.random(count: 16)))
    }
}
