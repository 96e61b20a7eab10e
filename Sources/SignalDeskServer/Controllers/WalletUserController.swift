import Fluent
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// `/api/user/*`: the dYdX service's own API for its users (contract.md, "Wallet identity and the
/// dYdX service surface"). Any signed-in user may call it; everything is the caller's own.
struct WalletUserController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let user = routes.authenticated.grouped("api", "user")
        user.get("dashboard", use: Self.dashboard)
        user.post("credentials", use: Self.updateCredentials)
        user.get("credentials", "status", use: Self.credentialsStatus)
        user.get("webhook-info", use: Self.webhookInfo)
        user.put("webhook-secret", use: Self.replaceWebhookSecret)
        user.get("account-balance", use: Self.accountBalance)
        user.get("positions", use: Self.positions)
    }

    struct CredentialsStatus: Content {
        let dydxConfigured: Bool
        let dydxTestnetConfigured: Bool
        let dydxMainnetConfigured: Bool
        let telegramConfigured: Bool
        let webhookConfigured: Bool
    }

    struct Dashboard: Content {
        struct Profile: Content {
            @NullEncodable var walletAddress: String?
            let webhookUuid: String
            let createdAt: Date?
            let accountAgeDays: Int
            @NullEncodable var dydxTestnetAddress: String?
            @NullEncodable var dydxMainnetAddress: String?
        }

        struct WebhookInfo: Content {
            let webhookUuid: String
            let webhookUrl: String
            let hasSecret: Bool
        }

        let userProfile: Profile
        let webhookInfo: WebhookInfo
        let credentialsStatus: CredentialsStatus
    }

    /// `dydx_*_mnemonic`, `telegram_token`, `telegram_chat_id` (a number or a string).
    struct CredentialsBody: Content {
        let dydxTestnetMnemonic: String?
        let dydxMainnetMnemonic: String?
        let telegramToken: String?
        let telegramChatId: String?

        enum CodingKeys: String, CodingKey {
            case dydxTestnetMnemonic, dydxMainnetMnemonic, telegramToken, telegramChatId
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            dydxTestnetMnemonic = try container.decodeIfPresent(String.self, forKey: .dydxTestnetMnemonic)
            dydxMainnetMnemonic = try container.decodeIfPresent(String.self, forKey: .dydxMainnetMnemonic)
            telegramToken = try container.decodeIfPresent(String.self, forKey: .telegramToken)
            if let number = try? container.decodeIfPresent(Int64.self, forKey: .telegramChatId) {
                telegramChatId = String(number)
            } else {
                telegramChatId = try container.decodeIfPresent(String.self, forKey: .telegramChatId)
            }
        }
    }

    struct CredentialsAnswer: Content {
        let message: String
        let updatedFields: [String]
    }

    struct WebhookInfo: Content {
        let webhookUrl: String
        let webhookSecret: String
    }

    struct NewSecretBody: Content {
        let newSecret: String
    }

    struct SecretReplaced: Content {
        let message: String
        let webhookUuid: String
    }

    struct Balance: Content {
        let success: Bool
        @NullEncodable var equity: Double?
        @NullEncodable var freeCollateral: Double?
        @NullEncodable var marginUsed: Double?
        @NullEncodable var openPositionsValue: Double?
        @NullEncodable var error: String?
    }

    struct PositionItem: Content {
        let id: UUID
        let symbol: String
        let side: String
        let entryPrice: Double
        let size: Double
        let status: String
        let openedAt: Date
        @NullEncodable var dydxOrderId: String?
    }

    struct Positions: Content {
        let success: Bool
        let positions: [PositionItem]
        @NullEncodable var error: String?
    }

    static func webhookURL(_ req: Request, uuid: String) -> String {
        "\(WebhooksController.publicBase(req))/api/webhooks/signal/\(uuid)"
    }

    static func status(_ req: Request, userID: UUID) async throws -> (DydxCredentialsService.Status, CredentialsStatus)
    {
        let status = try await DydxCredentialsService(app: req.application, db: req.db).status(userID: userID)
        let webhook = try await WebhookEndpoint.query(on: req.db).filter(\.$user.$id == userID).first()
        return (
            status,
            CredentialsStatus(
                dydxConfigured: status.address(on: req.application.appConfig.dydxNetwork) != nil,
                dydxTestnetConfigured: status.testnetAddress != nil,
                dydxMainnetConfigured: status.mainnetAddress != nil,
                telegramConfigured: status.telegramConfigured, webhookConfigured: webhook?.enabled == true)
        )
    }

    @Sendable static func dashboard(req: Request) async throws -> Dashboard {
        let caller = try req.caller
        let endpoint = try await WebhooksController.endpoint(for: caller.id, req: req)
        let (credentials, status) = try await status(req, userID: caller.id)
        let user = try await User.find(caller.id, on: req.db)
        let createdAt = user?.createdAt
        let age = createdAt.map { max(0, Int(req.application.wallClock.now().timeIntervalSince($0) / 86_400)) } ?? 0
        return Dashboard(
            userProfile: .init(
                walletAddress: WalletAccountName.address(of: caller.email)?.checksummed,
                webhookUuid: endpoint.webhookUUID, createdAt: createdAt, accountAgeDays: age,
                dydxTestnetAddress: credentials.testnetAddress, dydxMainnetAddress: credentials.mainnetAddress),
            webhookInfo: .init(
                webhookUuid: endpoint.webhookUUID, webhookUrl: webhookURL(req, uuid: endpoint.webhookUUID),
                hasSecret: !endpoint.secretSealed.isEmpty),
            credentialsStatus: status)
    }

    @Sendable static func updateCredentials(req: Request) async throws -> CredentialsAnswer {
        let caller = try req.caller
        let body = try req.content.decode(CredentialsBody.self)
        var update = DydxCredentialsService.Update()
        update.mnemonics[.testnet] = body.dydxTestnetMnemonic
        update.mnemonics[.mainnet] = body.dydxMainnetMnemonic
        update.telegramToken = body.telegramToken
        update.telegramChatID = body.telegramChatId
        do {
            let fields = try await DydxCredentialsService(app: req.application, db: req.db).apply(
                update, userID: caller.id)
            return CredentialsAnswer(message: "Credentials updated", updatedFields: fields)
        } catch let problem as DydxCredentialsService.Problem {
            throw APIError(
                .unprocessableEntity,
                items: [.init(loc: ["body", problem.field], msg: problem.message, type: "value_error")])
        }
    }

    @Sendable static func credentialsStatus(req: Request) async throws -> CredentialsStatus {
        try await status(req, userID: try req.caller.id).1
    }

    /// The owner's own secret, unsealed for this answer only; the read is audited.
    @Sendable static func webhookInfo(req: Request) async throws -> WebhookInfo {
        let caller = try req.caller
        let endpoint = try await WebhooksController.endpoint(for: caller.id, req: req)
        let secret = try req.application.appConfig.keyRing.openString(
            endpoint.secretSealed, context: SealedField.webhookSecret.context(owner: caller.id))
        try await AuditLog.record(
            AuditAction.webhookSecretRead, userID: caller.id, entityType: "webhook", entityID: endpoint.webhookUUID,
            on: req.db)
        return WebhookInfo(webhookUrl: webhookURL(req, uuid: endpoint.webhookUUID), webhookSecret: secret)
    }

    static let secretLength = 16...128

    /// Replaces the secret with the caller's own; the old one stops working at once (the accept
    /// path compares the stored digest, which changes in the same write).
    @Sendable static func replaceWebhookSecret(req: Request) async throws -> SecretReplaced {
        let caller = try req.caller
        let body = try req.content.decode(NewSecretBody.self)
        let secret = body.newSecret
        guard secretLength.contains(secret.count),
            secret.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline })
        else {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(
                        loc: ["body", "new_secret"],
                        msg: "new_secret must be 16 to 128 printable ASCII characters without spaces",
                        type: "value_error")
                ])
        }
        let endpoint = try await WebhooksController.endpoint(for: caller.id, req: req)
        try WebhooksController.setSecret(secret, on: endpoint, ring: req.application.appConfig.keyRing)
        try await req.application.stores.transactions.run(on: req.db) { tx in
            try await endpoint.save(on: tx)
            try await AuditLog.record(
                AuditAction.webhookSecretRotated, userID: caller.id, entityType: "webhook",
                entityID: endpoint.webhookUUID, details: ["source": .string("user")], on: tx)
        }
        return SecretReplaced(message: "Webhook secret updated", webhookUuid: endpoint.webhookUUID)
    }

    /// Subaccount 0 of the configured network's address from the indexer; a failure is 200 with
    /// `success:false`.
    @Sendable static func accountBalance(req: Request) async throws -> Balance {
        let caller = try req.caller
        let status = try await DydxCredentialsService(app: req.application, db: req.db).status(userID: caller.id)
        let network = req.application.appConfig.dydxNetwork
        guard let address = status.address(on: network) else {
            return Balance(success: false, error: "No dYdX \(network.rawValue) credentials configured")
        }
        do {
            let account = try await req.application.dydxIndexer.subaccount(address: address)
            return Balance(
                success: true, equity: account.equity, freeCollateral: account.freeCollateral,
                marginUsed: account.marginUsed, openPositionsValue: account.openPositionsValue)
        } catch {
            let text = indexerFailure(error)
            req.logger.warning("dYdX indexer read failed: \(text)")
            return Balance(success: false, error: text)
        }
    }

    /// A short reason with no upstream body.
    static func indexerFailure(_ error: VenueError) -> String {
        switch error {
        case .rejected(let status, _, _): "dYdX indexer refused the request (HTTP \(status))"
        case .unavailable(let status, _): "dYdX indexer unavailable (HTTP \(status))"
        case .timeout: "dYdX indexer did not answer in time"
        case .transport: "dYdX indexer unreachable"
        case .circuitOpen: "dYdX indexer unavailable (too many recent failures)"
        case .invalid(let message): "dYdX indexer: \(message)"
        }
    }

    /// The caller's positions in SignalDesk's book, newest first (at most 100).
    @Sendable static func positions(req: Request) async throws -> Positions {
        let caller = try req.caller
        let rows = try await Position.query(on: req.db).filter(\.$user.$id == caller.id)
            .sort(\.$openedAt, .descending).limit(100).all()
        // The dYdX order id of the order that opened each DYDX position (issue 23).
        let dydxIDs = rows.filter { $0.exchange == Exchange.dydx.rawValue }.compactMap(\.id)
        let opening =
            dydxIDs.isEmpty
            ? []
            : try await Order.query(on: req.db).filter(\.$user.$id == caller.id)
                .filter(\.$position.$id ~~ dydxIDs).filter(\.$venue == "DYDX").all()
        let orderIDs = Dictionary(
            opening.compactMap { order in order.$position.id.map { ($0, order.venueOrderID) } },
            uniquingKeysWith: { first, _ in first })
        return Positions(
            success: true,
            positions: try rows.map { row in
                PositionItem(
                    id: try row.requireID(), symbol: row.symbol, side: row.side.rawValue, entryPrice: row.entryPrice,
                    size: row.qty, status: row.status.rawValue, openedAt: row.openedAt,
                    dydxOrderId: row.id.flatMap { orderIDs[$0] ?? nil })
            })
    }
}
