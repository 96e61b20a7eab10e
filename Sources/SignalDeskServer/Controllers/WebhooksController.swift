import Fluent
import SignalDeskCore
import Vapor

/// Webhooks: the caller's endpoint settings, the TradingView route (uuid in the path, secret in
/// the body), and the HMAC route (`X-Signature` over the raw body).
struct WebhooksController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let mine = routes.authenticated.grouped("webhooks")
        mine.get("info", use: Self.info)
        mine.post("secret", use: Self.rotateSecret)
        mine.put("enabled", use: Self.setEnabled)
        routes.post("webhooks", "tradingview", ":webhook_uuid", use: Self.tradingView)
        routes.post("api", "webhooks", "signal", ":webhook_uuid", use: Self.tradingView)
        routes.post("webhook", use: Self.hmac)
    }

    static let authFailed = APIError(.unauthorized, "Authentication failed")

    // MARK: settings

    struct Info: Content {
        let webhookUuid: String
        let webhookUrl: String
        let hmacUrl: String
        let enabled: Bool
        let alertMessageTemplate: String
    }

    struct SecretAnswer: Content {
        let webhookUuid: String
        let webhookSecret: String
    }

    struct EnabledBody: Content {
        let enabled: Bool
    }

    /// The endpoint of `userID`, created on first use with a random secret nobody has seen.
    static func endpoint(for userID: UUID, req: Request) async throws -> WebhookEndpoint {
        if let existing = try await WebhookEndpoint.query(on: req.db).filter(\.$user.$id == userID).first() {
            return existing
        }
        let endpoint = WebhookEndpoint()
        endpoint.$user.id = userID
        endpoint.webhookUUID = UUID().uuidString.lowercased()
        try setSecret(Hex.encode(SecureBytes.random(count: 32)), on: endpoint, ring: req.application.appConfig.keyRing)
        endpoint.enabled = true
        do {
            try await endpoint.create(on: req.db)
        } catch {
            // A concurrent first use created it: use that one.
            guard (error as? any DatabaseError)?.isConstraintFailure == true,
                let existing = try await WebhookEndpoint.query(on: req.db).filter(\.$user.$id == userID).first()
            else { throw error }
            return existing
        }
        return endpoint
    }

    static func setSecret(_ secret: String, on endpoint: WebhookEndpoint, ring: KeyRing) throws {
        endpoint.secretSealed = try ring.seal(
            secret, context: SealedField.webhookSecret.context(owner: endpoint.$user.id))
        endpoint.secretDigest = WebhookIntake.digest(Array(secret.utf8))
    }

    static func publicBase(_ req: Request) -> String {
        if let configured = req.application.appConfig.publicBaseURL?.absoluteString {
            return configured.hasSuffix("/") ? String(configured.dropLast()) : configured
        }
        let scheme = req.headers.first(name: "X-Forwarded-Proto") == "https" ? "https" : "http"
        let host = req.headers.first(name: .host) ?? "127.0.0.1:\(req.application.appConfig.port)"
        return "\(scheme)://\(host)"
    }

    /// The message a user pastes into a TradingView alert.
    static let alertTemplate = """
        {"secret": "<your webhook secret>", "symbol": "{{ticker}}", "side": "{{strategy.order.action}}", \
        "price": {{close}}, "alert_id": "{{ticker}}-{{timenow}}", "timestamp": "{{timenow}}"}
        """

    @Sendable static func info(req: Request) async throws -> Info {
        let caller = try req.caller
        let endpoint = try await endpoint(for: caller.id, req: req)
        let base = publicBase(req)
        return Info(
            webhookUuid: endpoint.webhookUUID, webhookUrl: "\(base)/webhooks/tradingview/\(endpoint.webhookUUID)",
            hmacUrl: "\(base)/webhook", enabled: endpoint.enabled, alertMessageTemplate: alertTemplate)
    }

    @Sendable static func rotateSecret(req: Request) async throws -> SecretAnswer {
        let caller = try req.caller
        let endpoint = try await endpoint(for: caller.id, req: req)
        let secret = Hex.encode(SecureBytes.random(count: 32))
        try setSecret(secret, on: endpoint, ring: req.application.appConfig.keyRing)
        try await req.application.stores.transactions.run(on: req.db) { tx in
            try await endpoint.save(on: tx)
            try await AuditLog.record(
                AuditAction.webhookSecretRotated, userID: caller.id, entityType: "webhook",
                entityID: endpoint.webhookUUID,
                on: tx)
        }
        return SecretAnswer(webhookUuid: endpoint.webhookUUID, webhookSecret: secret)
    }

    @Sendable static func setEnabled(req: Request) async throws -> EnabledBody {
        let caller = try req.caller
        let body = try req.content.decode(EnabledBody.self)
        let endpoint = try await endpoint(for: caller.id, req: req)
        endpoint.enabled = body.enabled
        try await req.application.stores.transactions.run(on: req.db) { tx in
            try await endpoint.save(on: tx)
            try await AuditLog.record(
                body.enabled ? AuditAction.webhookEnabled : AuditAction.webhookDisabled, userID: caller.id,
                entityType: "webhook",
                entityID: endpoint.webhookUUID, on: tx)
        }
        return EnabledBody(enabled: body.enabled)
    }
}
