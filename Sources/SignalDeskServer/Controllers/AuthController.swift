import Fluent
import SignalDeskCore
import Vapor

/// `/auth/*`: register, login (form-encoded, as crypto-saas clients send it), refresh, logout and
/// revoke-all.
struct AuthController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let auth = routes.grouped("auth")
        auth.post("register", use: Self.register)
        auth.post("login", use: Self.login)
        auth.post("change-password", use: Self.changePassword)
        auth.post("refresh", use: Self.refresh)
        auth.post("logout", use: Self.logout)
        auth.authenticated.post("revoke-all", use: Self.revokeAll)
    }

    struct RegisterBody: Content {
        let email: String
        let password: String
    }

    struct LoginForm: Content {
        let username: String
        let password: String
        let otp: String?
    }

    /// `POST /auth/change-password` (issue 25, group 14), JSON or a form.
    struct ChangePasswordBody: Content {
        let email: String
        let currentPassword: String
        let newPassword: String
        let otp: String?
    }

    struct RefreshBody: Content {
        let refreshToken: String
    }

    struct Message: Content {
        let message: String
    }

    @Sendable static func register(req: Request) async throws -> Response {
        let body = try req.content.decode(RegisterBody.self)
        let problems = AccountInput.problems(email: body.email, password: body.password)
        guard problems.isEmpty else { throw APIError(.unprocessableEntity, items: problems) }
        let email = EmailAddress.normalized(body.email)
        if try await User.query(on: req.db).filter(\.$email == email).first() != nil {
            throw APIError(.badRequest, "Email already registered")
        }
        let hash = try await req.passwordHashing.hash(body.password)
        let user = User(email: email, passwordHash: hash, role: .trader)
        do {
            try await req.application.stores.transactions.run(on: req.db) { tx in
                try await user.create(on: tx)
                try await AuditLog.record(
                    AuditAction.authRegisterSuccess, userID: user.id, entityType: "user", entityID: user.id?.uuidString,
                    on: tx)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw APIError(.badRequest, "Email already registered")
        }
        return try await Message(message: "User created successfully").encodeResponse(status: .created, for: req)
    }

    @Sendable static func login(req: Request) async throws -> TokenPair {
        let form = try req.content.decode(LoginForm.self)
        do {
            return try await LoginFlow(request: req).login(
                email: EmailAddress.normalized(form.username), password: form.password,
                otp: form.otp.flatMap { $0.isEmpty ? nil : $0 })
        } catch let refusal as LoginFlow.Refusal {
            throw apiError(for: refusal)
        }
    }

    /// A new password for whoever proves the current one (and the second factor, if enabled):
    /// no token needed, so an expired password (ENFORCE_PASSWORD_MAX_AGE) can be replaced.
    /// Refusals are the login's; every session of the user is revoked.
    @Sendable static func changePassword(req: Request) async throws -> Message {
        let body = try req.content.decode(ChangePasswordBody.self)
        var problems = AccountInput.problems(email: body.email, password: body.newPassword).map {
            $0.loc == ["body", "password"]
                ? APIError.ValidationItem(loc: ["body", "new_password"], msg: $0.msg, type: $0.type) : $0
        }
        if body.newPassword == body.currentPassword {
            problems.append(
                .init(
                    loc: ["body", "new_password"], msg: "new_password must differ from current_password",
                    type: "value_error"))
        }
        guard problems.isEmpty else { throw APIError(.unprocessableEntity, items: problems) }
        do {
            try await LoginFlow(request: req).changePassword(
                email: EmailAddress.normalized(body.email), current: body.currentPassword, new: body.newPassword,
                otp: body.otp.flatMap { $0.isEmpty ? nil : $0 })
        } catch let refusal as LoginFlow.Refusal {
            throw apiError(for: refusal)
        }
        return Message(message: "Password changed")
    }

    /// The contract's answer to each login refusal.
    static func apiError(for refusal: LoginFlow.Refusal) -> APIError {
        switch refusal {
        case .throttled(let retryAfter):
            APIError(
                .tooManyRequests, "Too many failed login attempts. Try again in \(retryAfter) seconds.",
                headers: ["Retry-After": String(retryAfter)])
        case .badCredentials: APIError(.unauthorized, "Incorrect email or password")
        case .disabled: APIError(.forbidden, "Account disabled")
        case .twoFactorNotEnabled: APIError(.unauthorized, "2FA must be enabled for this account")
        case .otpRequired: APIError(.unauthorized, "OTP required")
        case .invalidOTP: APIError(.unauthorized, "Invalid OTP")
        case .passwordExpired:
            APIError(.unauthorized, "Password expired. Set a new one with POST /auth/change-password.")
        }
    }

    @Sendable static func refresh(req: Request) async throws -> TokenPair {
        let body = try req.content.decode(RefreshBody.self)
        let outcome: Result<(TokenPair, User), TokenService.RefreshFailure>
        do {
            outcome = .success(try await TokenService(app: req.application, db: req.db).refresh(body.refreshToken))
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let (pair, user)):
            try await AuditLog.record(
                AuditAction.authRefresh, userID: user.id, entityType: "user", entityID: user.id?.uuidString, on: req.db)
            return pair
        case .failure(.reused(let userID)):
            try await AuditLog.record(
                AuditAction.authRefreshReuseDetected, userID: userID, entityType: "user", entityID: userID.uuidString,
                on: req.db)
            throw APIError(.unauthorized, "Refresh token reuse detected; session revoked")
        case .failure(.expired):
            throw APIError(.unauthorized, "Refresh token expired")
        case .failure(.unknown):
            throw APIError(.unauthorized, "Invalid refresh token")
        }
    }

    @Sendable static func logout(req: Request) async throws -> Message {
        let body = try req.content.decode(RefreshBody.self)
        if let userID = try await TokenService(app: req.application, db: req.db).logout(body.refreshToken) {
            try await AuditLog.record(
                AuditAction.authLogout, userID: userID, entityType: "user", entityID: userID.uuidString, on: req.db)
        }
        // The same answer whether or not the token was known: logout is idempotent and no oracle.
        return Message(message: "Logged out")
    }

    struct RevokeAllAnswer: Content {
        let message: String
        let revokedSessions: Int
    }

    @Sendable static func revokeAll(req: Request) async throws -> RevokeAllAnswer {
        let caller = try req.caller
        let count = try await TokenService(app: req.application, db: req.db).revokeAll(userID: caller.id)
        try await AuditLog.record(
            AuditAction.authRevokeAll, userID: caller.id, entityType: "user", entityID: caller.id.uuidString,
            details: ["revoked_sessions": .int(count)], on: req.db)
        return RevokeAllAnswer(message: "All sessions revoked", revokedSessions: count)
    }
}
