import Foundation

/// Every kind of value SignalDesk seals at rest, and the context each is bound to.
///
/// The purpose strings are part of the stored ciphertexts' associated data: changing one makes
/// existing values unreadable, so they never change.
public enum SealedField: Sendable, Equatable {
    case exchangeAPIKey(Exchange)
    case exchangeAPISecret(Exchange)
    case totpSeed
    case webhookSecret
    case telegramBotToken
    case telegramChatID
    /// A dYdX mnemonic (issue 22); bound to the user, one purpose for both networks.
    case dydxMnemonic

    public var purpose: String {
        switch self {
        case .exchangeAPIKey(let exchange): "exchange:\(exchange.rawValue):api_key"
        case .exchangeAPISecret(let exchange): "exchange:\(exchange.rawValue):api_secret"
        case .totpSeed: "totp_seed"
        case .webhookSecret: "webhook_secret"
        case .telegramBotToken: "telegram_bot_token"
        case .telegramChatID: "telegram_chat_id"
        case .dydxMnemonic: "dydx_mnemonic"
        }
    }

    /// The context for this field of the user `owner`.
    public func context(owner: UUID) -> SealContext {
        SealContext(owner: owner.uuidString, purpose: purpose)
    }
}
