import Fluent
import SignalDeskCore
import Vapor

/// `/users/exchange-secrets`: the caller's exchange credentials. Sealed on arrival; the secret never
/// leaves the server again, the key only masked.
struct ExchangeSecretsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let secrets = routes.authenticated.grouped("users", "exchange-secrets")
        secrets.post(use: Self.upsert)
        secrets.get(use: Self.list)
        secrets.delete(":exchange", use: Self.delete)
    }

    struct UpsertBody: Content {
        let exchange: String
        let apiKey: String
        let apiSecret: String
    }

    struct SecretOut: Content {
        let exchange: Exchange
        let configured: Bool
        let apiKeyMasked: String
        @NullEncodable var updatedAt: Date?
        let keyVersion: String
    }

    struct Message: Content {
        let message: String
    }

    @Sendable static func upsert(req: Request) async throws -> Response {
        let caller = try req.caller
        let body = try req.content.decode(UpsertBody.self)
        guard let exchange = Exchange(parsing: body.exchange), exchange.usesAPIKeys else {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(
                        loc: ["body", "exchange"], msg: "exchange must be BINANCE, IBKR or BYBIT", type: "enum")
                ])
        }
        let apiKey = body.apiKey.trimmingCharacters(in: .whitespacesAndNewlines)
        let apiSecret = body.apiSecret.trimmingCharacters(in: .whitespacesAndNewlines)
        var problems: [APIError.ValidationItem] = []
        if apiKey.isEmpty {
            problems.append(.init(loc: ["body", "api_key"], msg: "api_key must not be empty", type: "value_error"))
        }
        if apiSecret.isEmpty {
            problems.append(
                .init(loc: ["body", "api_secret"], msg: "api_secret must not be empty", type: "value_error"))
        }
        guard problems.isEmpty else { throw APIError(.unprocessableEntity, items: problems) }

        guard try await ExchangeAccess.isEnabled(userID: caller.id, exchange: exchange, on: req.db) else {
            try await AuditLog.record(
                AuditAction.exchangeSecretUpsertBlocked, userID: caller.id, entityType: "exchange_secret",
                entityID: exchange.rawValue, details: ["exchange": .string(exchange.rawValue)], on: req.db)
            throw APIError(.forbidden, "Exchange \(exchange.rawValue) is disabled for this user")
        }

        let ring = req.application.appConfig.keyRing
        let sealedKey = try ring.seal(apiKey, context: SealedField.exchangeAPIKey(exchange).context(owner: caller.id))
        let sealedSecret = try ring.seal(
            apiSecret, context: SealedField.exchangeAPISecret(exchange).context(owner: caller.id))
        // Two concurrent saves for one exchange: the loser of the unique index retries as an update.
        for attempt in 1...2 {
            do {
                try await req.application.stores.transactions.run(on: req.db) { tx in
                    let row =
                        try await ExchangeSecret.query(on: tx)
                        .filter(\.$user.$id == caller.id).filter(\.$exchange == exchange).first() ?? ExchangeSecret()
                    let created = row.id == nil
                    row.$user.id = caller.id
                    row.exchange = exchange
                    row.apiKeySealed = sealedKey
                    row.apiSecretSealed = sealedSecret
                    row.apiKeyMasked = SecretMask.mask(apiKey)
                    row.keyID = ring.activeKeyID
                    try await row.save(on: tx)
                    try await AuditLog.record(
                        AuditAction.exchangeSecretUpsert, userID: caller.id, entityType: "exchange_secret",
                        entityID: row.id?.uuidString,
                        details: [
                            "exchange": .string(exchange.rawValue), "created": .bool(created),
                            "key_version": .string(ring.activeKeyID),
                        ],
                        on: tx)
                }
                break
            } catch {
                guard attempt == 1, (error as? any DatabaseError)?.isConstraintFailure == true else { throw error }
            }
        }
        return try await Message(message: "Encrypted credentials saved for \(exchange.rawValue)")
            .encodeResponse(status: .created, for: req)
    }

    @Sendable static func list(req: Request) async throws -> [SecretOut] {
        let caller = try req.caller
        return try await ExchangeSecret.query(on: req.db).filter(\.$user.$id == caller.id).all()
            .sorted { $0.exchange < $1.exchange }
            .map { row in
                SecretOut(
                    exchange: row.exchange, configured: true, apiKeyMasked: row.apiKeyMasked, updatedAt: row.updatedAt,
                    keyVersion: KeyRing.keyID(ofSealed: row.apiSecretSealed) ?? row.keyID)
            }
    }

    @Sendable static func delete(req: Request) async throws -> Message {
        let caller = try req.caller
        guard let exchange = req.parameters.get("exchange").flatMap(Exchange.init(parsing:)), exchange.usesAPIKeys
        else {
            throw APIError(.badRequest, "exchange must be BINANCE, IBKR or BYBIT")
        }
        guard
            let row = try await ExchangeSecret.query(on: req.db)
                .filter(\.$user.$id == caller.id).filter(\.$exchange == exchange).first()
        else { throw APIError(.notFound, "No credentials found for this exchange") }
        try await req.application.stores.transactions.run(on: req.db) { tx in
            try await row.delete(on: tx)
            try await AuditLog.record(
                AuditAction.exchangeSecretDelete, userID: caller.id, entityType: "exchange_secret",
                entityID: row.id?.uuidString,
                details: ["exchange": .string(exchange.rawValue)], on: tx)
        }
        return Message(message: "Credentials deleted for \(exchange.rawValue)")
    }
}
