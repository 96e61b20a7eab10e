import Fluent
import SignalDeskCore
import SignalDeskVenues
import Vapor

extension WebhooksController {
    static func raw(_ req: Request) -> [UInt8] {
        req.body.data.map { Array($0.readableBytesView) } ?? []
    }

    /// Refuses a source outside WEBHOOK_ALLOWED_IPS, when the list is set.
    static func checkSource(_ req: Request) throws {
        let allowed = req.application.appConfig.webhookAllowedIPs
        guard !allowed.isEmpty else { return }
        guard let address = req.remoteAddress?.ipAddress, allowed.contains(address) else {
            throw APIError(.forbidden, "Source address not allowed")
        }
    }

    static func refuseAuthentication(
        _ req: Request, route: String, userID: UUID?, reason: String, error: APIError = authFailed
    ) async throws -> Never {
        req.application.metrics.webhookAuthFailure(route: route)
        try await AuditLog.record(
            AuditAction.webhookAuthFailed, userID: userID, entityType: "webhook", entityID: nil,
            details: ["route": .string(route), "reason": .string(reason)], on: req.db)
        throw error
    }

    /// The user switch, the platform kill switch and the rate limit, in that order (after authentication).
    /// With a remembered endpoint every refusal is decided again on the endpoint as it is now
    /// (``WebhookEndpointChanged``): only an alert that is stored is answered from memory.
    static func admit(_ req: Request, endpoint: WebhookEndpointRow) async throws {
        let halted = try await req.application.killSwitch.state(on: req.db).enabled
        guard endpoint.enabled, !halted, endpoint.ownerRole != .disabled else {
            if endpoint.remembered { throw WebhookEndpointChanged() }
            try await AuditLog.record(
                AuditAction.webhookRejected, userID: endpoint.userID, entityType: "webhook",
                entityID: endpoint.webhookUUID,
                details: ["reason": .string(halted ? "kill_switch" : "webhooks_disabled")], on: req.db)
            throw APIError(.locked, "Webhooks disabled")
        }
        if let retryAfter = await req.application.webhookRateLimiter.attempt(
            endpoint.webhookUUID, now: req.application.wallClock.now())
        {
            if endpoint.remembered { throw WebhookEndpointChanged() }
            req.application.metrics.rateLimitHit(scope: "webhook")
            throw APIError(
                .tooManyRequests,
                "Rate limit exceeded: at most \(req.application.appConfig.webhookRatePerMinute) alerts per minute",
                headers: ["Retry-After": String(retryAfter)])
        }
    }

    static func reject(_ req: Request, userID: UUID?, message: String) async throws -> Never {
        try await AuditLog.record(
            AuditAction.webhookRejected, userID: userID, entityType: "webhook", entityID: nil,
            details: ["reason": .string(message)], on: req.db)
        throw APIError(.badRequest, message)
    }

    /// Parses, checks freshness and stores the alert; answers 202 or 200 for a duplicate.
    static func intake(
        _ req: Request, object: [String: JSONValue], body: [UInt8], endpoint: WebhookEndpointRow,
        source: SignalSource
    ) async throws -> Response {
        let alert: TradingViewAlert
        do {
            alert = try TradingViewAlert.parse(object)
        } catch {
            if endpoint.remembered { throw WebhookEndpointChanged() }
            try await reject(req, userID: endpoint.userID, message: error.message)
        }
        if alert.isStale(
            now: req.application.wallClock.now(), maxAge: Double(req.application.appConfig.webhookMaxAgeSeconds))
        {
            if endpoint.remembered { throw WebhookEndpointChanged() }
            try await reject(req, userID: endpoint.userID, message: "Stale alert")
        }
        let outcome: WebhookIntake.Outcome
        do {
            outcome = try await WebhookIntake(app: req.application, db: req.db).accept(
                alert, body: body, endpoint: endpoint, source: source)
        } catch WebhookIntake.Failure.alertIDTaken {
            throw APIError(.conflict, "Duplicate alert")
        }
        switch outcome {
        case .accepted(let id): return answer("accepted", id, status: .accepted)
        case .duplicate(let id): return answer("duplicate", id, status: .ok)
        }
    }

    /// `{"status": "accepted" | "duplicate", "signal_id"}`, written directly: the busiest answer.
    static func answer(_ status: String, _ signalID: UUID, status code: HTTPResponseStatus) -> Response {
        var json = JSONWriter(capacity: 80)
        json.beginObject()
        json.field("signal_id", signalID)
        json.field("status", status)
        json.endObject()
        return json.response(status: code)
    }

    /// `POST /webhooks/tradingview/{uuid}`: the secret travels in the body (TradingView cannot set headers).
    @Sendable static func tradingView(req: Request) async throws -> Response {
        try checkSource(req)
        let body = raw(req)
        let uuid = (req.parameters.get("webhook_uuid") ?? "").lowercased()
        let object = TradingViewAlert.object(from: body)
        let provided = object.flatMap(TradingViewAlert.secret(in:)) ?? ""
        let digest = WebhookIntake.digest(Array(provided.utf8))
        // The endpoint as an earlier alert read it, when this secret matches it: stored only if
        // the endpoint is unchanged when the alert is written, else read again below.
        if let object, !provided.isEmpty,
            let endpoint = WebhookIntake.remembered(uuid: uuid, digest: digest, app: req.application)
        {
            do {
                return try await tradingView(req, object: object, body: body, endpoint: endpoint)
            } catch is WebhookEndpointChanged {}
        }
        return try await readingEndpointAgain {
            let found = try await WebhookIntake.endpoint(uuid: uuid, app: req.application, on: req.db)
            // Always one constant-time comparison, against a decoy when the uuid is unknown.
            let matches = ConstantTime.equals(digest, found?.secretDigest ?? WebhookIntake.decoyDigest)
            guard let endpoint = found, matches, !provided.isEmpty, let object else {
                try await refuseAuthentication(
                    req, route: "tradingview", userID: found?.userID,
                    reason: found == nil ? "unknown_webhook" : "bad_secret")
            }
            return try await tradingView(req, object: object, body: body, endpoint: endpoint)
        }
    }

    /// A TradingView alert authenticated by its secret against `endpoint`: signature, admission, intake.
    static func tradingView(
        _ req: Request, object: [String: JSONValue], body: [UInt8], endpoint: WebhookEndpointRow
    ) async throws -> Response {
        let signature = req.headers.first(name: "X-Signature")
        if signature != nil || req.application.appConfig.webhookRequireSignature {
            try await verifySignature(req, signature: signature, body: body, endpoint: endpoint, route: "tradingview")
        }
        try await admit(req, endpoint: endpoint)
        return try await intake(req, object: object, body: body, endpoint: endpoint, source: .tradingview)
    }

    /// Runs `attempt` (which reads the endpoint and handles the alert) again when the endpoint
    /// changed between its read and the alert's insert (``WebhookEndpointChanged``), at most
    /// three times; then the alert is refused with 409 and nothing stored.
    static func readingEndpointAgain(_ attempt: () async throws -> Response) async throws -> Response {
        for _ in 0..<3 {
            do {
                return try await attempt()
            } catch is WebhookEndpointChanged {}
        }
        throw APIError(.conflict, "The webhook changed while the alert was being stored; send it again")
    }

    static func verifySignature(
        _ req: Request, signature: String?, body: [UInt8], endpoint: WebhookEndpointRow?, route: String
    ) async throws {
        guard let signature, !signature.isEmpty else {
            if endpoint?.remembered == true { throw WebhookEndpointChanged() }
            try await refuseAuthentication(
                req, route: route, userID: endpoint?.userID, reason: "missing_signature",
                error: APIError(.unauthorized, "Missing X-Signature header"))
        }
        var secret = "signaldesk-decoy-secret"
        if let endpoint {
            secret = try req.application.appConfig.keyRing.openString(
                endpoint.secretSealed, context: SealedField.webhookSecret.context(owner: endpoint.userID))
        }
        let expected = RequestSigning.hmacSHA256Hex(secret: secret, payload: String(decoding: body, as: UTF8.self))
        let given = signature.lowercased().replacingOccurrences(of: "sha256=", with: "")
        guard ConstantTime.equals(expected, given), endpoint != nil else {
            if endpoint?.remembered == true { throw WebhookEndpointChanged() }
            try await refuseAuthentication(
                req, route: route, userID: endpoint?.userID, reason: "bad_signature",
                error: APIError(.unauthorized, "Invalid signature"))
        }
    }

    /// `POST /webhook`: `{"token": webhook uuid, "action", "symbol", ...}` signed with `X-Signature`.
    @Sendable static func hmac(req: Request) async throws -> Response {
        try checkSource(req)
        let body = raw(req)
        let signature = req.headers.first(name: "X-Signature")
        let object = TradingViewAlert.object(from: body)
        let token: String? = if case .string(let value)? = object?["token"] { value.lowercased() } else { nil }
        return try await readingEndpointAgain {
            let found =
                try await token.asyncMap {
                    try await WebhookIntake.endpoint(uuid: $0, app: req.application, on: req.db)
                } ?? nil
            try await verifySignature(req, signature: signature, body: body, endpoint: found, route: "hmac")
            guard let endpoint = found, let object else { throw APIError(.unauthorized, "Invalid signature") }
            try await admit(req, endpoint: endpoint)
            let action = object["action"]?.text?.lowercased() ?? ""
            guard ["buy", "sell", "close"].contains(action) else {
                try await reject(
                    req, userID: endpoint.userID, message: "Invalid action. Must be one of: buy, sell, close")
            }
            // The token is the webhook id, not a secret to keep: drop it so parsing sees no credential.
            var fields = object
            fields["token"] = nil
            return try await intake(req, object: fields, body: body, endpoint: endpoint, source: .hmac)
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
