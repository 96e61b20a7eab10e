import Fluent
import JWT
import SignalDeskCore
import Vapor

/// `/api/auth/*`: wallet sign-in as the dYdX service's clients call it (contract.md, "Wallet
/// identity"). The decisions are ``WalletSignIn``'s; this turns them into the contract's answers.
struct WalletAuthController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let auth = routes.grouped("api", "auth")
        auth.get("generate-message", use: Self.generateMessage)
        auth.post("create-user", use: Self.createUser)
        auth.post("login", use: Self.login)
        auth.get("verify", use: Self.verify)
        auth.post("logout", use: Self.logout)
    }

    struct IssuedMessage: Content {
        let message: String
        let nonce: String
        let expiresAt: Date
    }

    struct SignedBody: Content {
        let walletAddress: String
        let message: String
        let signature: String
        /// Login only, for a wallet user who enabled 2FA.
        let otp: String?
    }

    struct Registration: Content {
        let webhookUuid: String
        let webhookSecret: String
    }

    struct UserData: Content {
        let walletAddress: String
        let webhookUuid: String
        let createdAt: Date?
        let hasCredentials: Bool
    }

    struct LoginAnswer: Content {
        let accessToken: String
        let refreshToken: String
        let tokenType: String
        let expiresIn: Int
        let userData: UserData
    }

    struct Verification: Content {
        let valid: Bool
        @NullEncodable var userAddress: String?
        let expiresAt: Date
    }

    struct Invalid: Content {
        let valid: Bool
    }

    static let invalidSignature = APIError(.unauthorized, "Invalid signature")

    static func apiError(for refusal: WalletSignIn.Refusal) -> APIError {
        switch refusal {
        case .malformedAddress:
            APIError(
                .unprocessableEntity,
                "wallet_address must be 0x followed by 40 hexadecimal digits (EIP-55 when mixed case)")
        case .invalidSignature: invalidSignature
        case .userExists: APIError(.conflict, "User already exists")
        case .userNotFound: APIError(.notFound, "User not found. Please create account first.")
        case .disabled: AuthController.apiError(for: .disabled)
        case .throttled(let retryAfter): AuthController.apiError(for: .throttled(retryAfter: retryAfter))
        case .otpRequired: AuthController.apiError(for: .otpRequired)
        case .invalidOTP: AuthController.apiError(for: .invalidOTP)
        }
    }

    @Sendable static func generateMessage(req: Request) async throws -> IssuedMessage {
        guard let address = try? req.query.get(String.self, at: "wallet_address") else {
            throw APIError(.unprocessableEntity, "wallet_address is required")
        }
        if let retryAfter = await req.application.walletMessageLimits.attempt(
            wallet: address, client: req.remoteAddress?.ipAddress, now: req.application.wallClock.now())
        {
            req.application.metrics.rateLimitHit(scope: "wallet_message")
            throw APIError(
                .tooManyRequests, "Too many sign-in messages. Try again in \(retryAfter) seconds.",
                headers: ["Retry-After": String(retryAfter)])
        }
        do {
            let issued = try await WalletSignIn(app: req.application, db: req.db).issueMessage(for: address)
            return IssuedMessage(message: issued.message, nonce: issued.nonce, expiresAt: issued.expiresAt)
        } catch let refusal as WalletSignIn.Refusal {
            throw apiError(for: refusal)
        }
    }

    @Sendable static func createUser(req: Request) async throws -> Response {
        let body = try req.content.decode(SignedBody.self)
        do {
            let registration = try await WalletSignIn(app: req.application, db: req.db).register(
                addressText: body.walletAddress, message: body.message, signature: body.signature)
            return try await Registration(
                webhookUuid: registration.webhookUUID, webhookSecret: registration.webhookSecret
            ).encodeResponse(status: .created, for: req)
        } catch let refusal as WalletSignIn.Refusal {
            throw apiError(for: refusal)
        }
    }

    @Sendable static func login(req: Request) async throws -> LoginAnswer {
        let body = try req.content.decode(SignedBody.self)
        let pair: TokenPair
        let user: User
        do {
            (pair, user) = try await WalletSignIn(app: req.application, db: req.db).login(
                addressText: body.walletAddress, message: body.message, signature: body.signature, otp: body.otp)
        } catch let refusal as WalletSignIn.Refusal {
            throw apiError(for: refusal)
        }
        let userID = try user.requireID()
        let endpoint = try await WebhooksController.endpoint(for: userID, req: req)
        let hasCredentials = try await DydxCredential.query(on: req.db).filter(\.$user.$id == userID).count() > 0
        return LoginAnswer(
            accessToken: pair.accessToken, refreshToken: pair.refreshToken, tokenType: pair.tokenType,
            expiresIn: pair.expiresIn,
            userData: UserData(
                walletAddress: WalletSignIn.address(ofAccountName: user.email)?.checksummed ?? "",
                webhookUuid: endpoint.webhookUUID, createdAt: user.createdAt, hasCredentials: hasCredentials))
    }

    /// 200 either way: `{"valid":false}` for a missing, malformed, expired or revoked token.
    @Sendable static func verify(req: Request) async throws -> Response {
        guard let token = req.headers.bearerAuthorization?.token,
            let claims = try? await req.application.jwt.keys.verify(token, as: AccessClaims.self),
            let userID = UUID(uuidString: claims.uid), let family = UUID(uuidString: claims.sid),
            let caller = try await req.application.stores.callers.caller(
                userID: userID, family: family, now: req.application.wallClock.now(), on: req.db),
            UserRole(rawValue: caller.role).map({ $0 != .disabled }) == true
        else {
            return try await Invalid(valid: false).encodeResponse(for: req)
        }
        let address = WalletSignIn.address(ofAccountName: caller.email)?.checksummed
        return try await Verification(valid: true, userAddress: address, expiresAt: claims.exp.value)
            .encodeResponse(for: req)
    }

    @Sendable static func logout(req: Request) async throws -> AuthController.Message {
        let body = try req.content.decode(AuthController.RefreshBody.self)
        if let userID = try await TokenService(app: req.application, db: req.db).logout(body.refreshToken) {
            try await AuditLog.record(
                AuditAction.authLogout, userID: userID, entityType: "user", entityID: userID.uuidString, on: req.db)
        }
        return AuthController.Message(message: "Successfully logged out")
    }
}
