import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// A user's dYdX credentials (issue 22): a BIP-39 mnemonic per network, sealed with the key ring,
/// and the dYdX address derived from it. The phrase is never logged, audited or answered: only
/// the field names that changed and the derived addresses leave this type.
struct DydxCredentialsService {
    typealias Network = DydxNetwork

    /// What a user may send; nil fields are left as they are.
    struct Update: Sendable {
        var mnemonics: [Network: String] = [:]
        var telegramToken: String?
        var telegramChatID: String?
    }

    /// A refused field and why, without its value.
    struct Problem: Error, Equatable {
        let field: String
        let message: String
    }

    struct Status: Sendable, Equatable {
        let testnetAddress: String?
        let mainnetAddress: String?
        let telegramConfigured: Bool

        func address(on network: DydxNetwork) -> String? {
            switch network {
            case .testnet: testnetAddress
            case .mainnet: mainnetAddress
            }
        }
    }

    let app: Application
    let db: any Database

    /// Validates every field first (nothing is stored when one is refused), then seals and stores
    /// them in one transaction with one `credentials.update` audit row naming the fields.
    /// Returns the names of the updated fields, in request-field order.
    func apply(_ update: Update, userID: UUID) async throws -> [String] {
        var problems: [Problem] = []
        var accounts: [Network: (BIP39.Mnemonic, DydxAccount)] = [:]
        for network in Network.allCases {
            guard let text = update.mnemonics[network] else { continue }
            do {
                let mnemonic = try BIP39.mnemonic(text)
                guard let account = DydxAccount(mnemonic: mnemonic) else {
                    problems.append(Problem(field: network.field, message: "no dYdX key derives from this mnemonic"))
                    continue
                }
                accounts[network] = (mnemonic, account)
            } catch {
                problems.append(Problem(field: network.field, message: error.message))
            }
        }
        let token = update.telegramToken?.trimmingCharacters(in: .whitespaces)
        if let token, !TelegramBotToken.isValid(token) {
            problems.append(
                Problem(
                    field: "telegram_token", message: "telegram_token must look like <digits>:<at least 35 characters>")
            )
        }
        let chatID = update.telegramChatID?.trimmingCharacters(in: .whitespaces)
        if let chatID, Int64(chatID) == nil {
            problems.append(Problem(field: "telegram_chat_id", message: "telegram_chat_id must be an integer"))
        }
        if let problem = problems.first { throw problem }

        var fields = Network.allCases.filter { accounts[$0] != nil }.map(\.field)
        if token != nil { fields.append("telegram_token") }
        if chatID != nil { fields.append("telegram_chat_id") }
        guard !fields.isEmpty else {
            throw Problem(
                field: "body",
                message:
                    "send at least one of dydx_testnet_mnemonic, dydx_mainnet_mnemonic, telegram_token, telegram_chat_id"
            )
        }

        let ring = app.appConfig.keyRing
        let context = SealedField.dydxMnemonic.context(owner: userID)
        var rows: [DydxCredential] = []
        for network in Network.allCases {
            guard let (mnemonic, account) = accounts[network] else { continue }
            let row =
                try await DydxCredential.query(on: db).filter(\.$user.$id == userID)
                .filter(\.$network == network.rawValue).first() ?? DydxCredential()
            row.$user.id = userID
            row.network = network.rawValue
            row.mnemonicSealed = try ring.seal(mnemonic.phrase, context: context)
            row.keyID = ring.activeKeyID
            row.address = account.address
            rows.append(row)
        }
        let user = try await User.find(userID, on: db)
        if let token {
            user?.telegramBotTokenSealed = try ring.seal(
                token, context: SealedField.telegramBotToken.context(owner: userID))
        }
        if let chatID {
            user?.telegramChatIDSealed = try ring.seal(
                chatID, context: SealedField.telegramChatID.context(owner: userID))
        }
        let changedFields = fields
        let saved = rows
        try await app.stores.transactions.run(on: db) { tx in
            for row in saved { try await row.save(on: tx) }
            if token != nil || chatID != nil { try await user?.save(on: tx) }
            try await AuditLog.record(
                AuditAction.credentialsUpdate, userID: userID, entityType: "user", entityID: userID.uuidString,
                details: ["fields": .string(changedFields.joined(separator: ","))], on: tx)
        }
        return fields
    }

    func status(userID: UUID) async throws -> Status {
        let rows = try await DydxCredential.query(on: db).filter(\.$user.$id == userID).all()
        let user = try await User.find(userID, on: db)
        return Status(
            testnetAddress: rows.first { $0.network == Network.testnet.rawValue }?.address,
            mainnetAddress: rows.first { $0.network == Network.mainnet.rawValue }?.address,
            telegramConfigured: user?.telegramBotTokenSealed != nil && user?.telegramChatIDSealed != nil)
    }
}

extension DydxNetwork {
    /// The request field that carries this network's mnemonic.
    var field: String { "dydx_\(rawValue)_mnemonic" }
}
