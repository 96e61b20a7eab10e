import Fluent
import SignalDeskCore
import Vapor

/// `/auth/2fa/*`: set up, enable and disable TOTP for the caller; admin reset for a user.
struct TwoFactorController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let twoFactor = routes.authenticated.grouped("auth", "2fa")
        twoFactor.post("setup", use: Self.setup)
        twoFactor.post("verify-enable", use: Self.verifyEnable)
        twoFactor.post("disable", use: Self.disable)
        routes.adminOnly.post("ops", "admin", "users", ":email", "reset-2fa", use: Self.adminReset)
        routes.adminOnly.post("users", ":user_id", "2fa", "reset", use: Self.adminReprovision)
    }

    /// `POST /users/{id}/2fa/reset?reason=` (crypto-saas's later admin reset, issue 25 group 9).
    struct ReprovisionAnswer: Content {
        let userId: UUID
        let email: String
        let enabled: Bool
        let secret: String
        let otpauthUri: String
        let sessionsRevoked: Int
    }

    struct SetupAnswer: Content {
        let message: String
        let secret: String
        let otpauthUri: String
    }

    struct OTPBody: Content {
        let otp: String
    }

    struct Message: Content {
        let message: String
    }

    static func service(_ req: Request) -> TwoFactorService {
        TwoFactorService(keyRing: req.application.appConfig.keyRing, db: req.db)
    }

    @Sendable static func setup(req: Request) async throws -> SetupAnswer {
        let caller = try req.caller
        if try await service(req).enrolment(userID: caller.id)?.enabled == true {
            // Replacing an active seed would let a stolen access token take over the second factor.
            throw APIError(.badRequest, "2FA is already enabled. Disable it first.")
        }
        let (secret, uri) = try await service(req).setUp(userID: caller.id, email: caller.email)
        try await AuditLog.record(
            AuditAction.auth2faSetup, userID: caller.id, entityType: "user", entityID: caller.id.uuidString, on: req.db)
        return SetupAnswer(
            message: "2FA secret generated. Verify with one OTP to enable.", secret: secret, otpauthUri: uri)
    }

    @Sendable static func verifyEnable(req: Request) async throws -> Message {
        let caller = try req.caller
        let body = try req.content.decode(OTPBody.self)
        guard let enrolment = try await service(req).enrolment(userID: caller.id) else {
            throw APIError(.notFound, "2FA setup not found. Call /auth/2fa/setup first.")
        }
        if enrolment.enabled { throw APIError(.badRequest, "2FA is already enabled") }
        guard try await service(req).consume(code: body.otp, for: enrolment, now: req.application.wallClock.now())
        else {
            throw APIError(.badRequest, "Invalid OTP")
        }
        enrolment.enabled = true
        try await enrolment.save(on: req.db)
        try await AuditLog.record(
            AuditAction.auth2faEnabled, userID: caller.id, entityType: "user", entityID: caller.id.uuidString,
            on: req.db)
        return Message(message: "2FA enabled")
    }

    @Sendable static func disable(req: Request) async throws -> Message {
        let caller = try req.caller
        let body = try req.content.decode(OTPBody.self)
        guard let enrolment = try await service(req).enrolment(userID: caller.id), enrolment.enabled else {
            throw APIError(.notFound, "2FA is not enabled")
        }
        guard try await service(req).consume(code: body.otp, for: enrolment, now: req.application.wallClock.now())
        else {
            throw APIError(.badRequest, "Invalid OTP")
        }
        try await enrolment.delete(on: req.db)
        try await AuditLog.record(
            AuditAction.auth2faDisabled, userID: caller.id, entityType: "user", entityID: caller.id.uuidString,
            on: req.db)
        return Message(message: "2FA disabled")
    }

    /// An admin re-provisions a user's 2FA: a new seed, enabled at once and shown once in the
    /// answer (to hand to the user out of band), every session of the user revoked. Beside
    /// ``adminReset(req:)`` (by email), which removes 2FA instead.
    @Sendable static func adminReprovision(req: Request) async throws -> ReprovisionAnswer {
        let caller = try req.caller
        guard let userID = req.parameters.get("user_id").flatMap(UUID.init(uuidString:)) else {
            throw APIError(
                .unprocessableEntity,
                items: [.init(loc: ["path", "user_id"], msg: "user_id must be a UUID", type: "uuid_parsing")])
        }
        let reason = (req.query[String.self, at: "reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...500).contains(reason.count) else {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(
                        loc: ["query", "reason"], msg: "reason is required (1 to 500 characters)",
                        type: "value_error")
                ])
        }
        guard let user = try await User.find(userID, on: req.db) else { throw APIError(.notFound, "User not found") }
        let email = user.email
        let keyRing = req.application.appConfig.keyRing
        let (secret, uri) = try await req.application.stores.transactions.run(on: req.db) { tx in
            let fresh = try await TwoFactorService(keyRing: keyRing, db: tx).reprovision(userID: userID, email: email)
            try await AuditLog.record(
                AuditAction.auth2faReset, userID: caller.id, entityType: "user", entityID: userID.uuidString,
                details: ["target_email": .string(email), "reason": .string(reason), "reprovisioned": .bool(true)],
                on: tx)
            return fresh
        }
        let revoked = try await TokenService(app: req.application, db: req.db).revokeAll(userID: userID)
        return ReprovisionAnswer(
            userId: userID, email: email, enabled: true, secret: secret, otpauthUri: uri, sessionsRevoked: revoked)
    }

    @Sendable static func adminReset(req: Request) async throws -> Message {
        let caller = try req.caller
        let email = (req.parameters.get("email") ?? "").lowercased()
        guard let user = try await User.query(on: req.db).filter(\.$email == email).first(), let userID = user.id else {
            throw APIError(.notFound, "User not found")
        }
        let removed = try await TwoFactor.query(on: req.db).filter(\.$user.$id == userID).count()
        try await TwoFactor.query(on: req.db).filter(\.$user.$id == userID).delete()
        try await AuditLog.record(
            AuditAction.auth2faReset, userID: caller.id, entityType: "user", entityID: userID.uuidString,
            details: ["target_email": .string(email), "had_2fa": .bool(removed > 0)], on: req.db)
        return Message(message: "2FA reset for \(email)")
    }
}
