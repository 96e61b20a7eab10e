import Vapor

/// Limits on `GET /api/auth/generate-message`, which anyone may call and which writes a row:
/// per address (10 a minute: a wallet signs in far less often) and per client address (60 a
/// minute). In memory, per instance, like the webhook limit; expired messages are deleted as new
/// ones are issued, so the table holds at most five minutes of what the limits let through.
struct WalletMessageLimits: Sendable {
    let perWallet = RateLimiter(limit: 10)
    let perClient = RateLimiter(limit: 60)

    /// Seconds until another message may be issued, or nil when one may be now.
    func attempt(wallet: String, client: String?, now: Date) async -> Int? {
        if let client, let wait = await perClient.attempt(client, now: now) { return wait }
        return await perWallet.attempt(wallet.lowercased(), now: now)
    }
}

extension Application {
    private struct WalletMessageLimitsKey: StorageKey {
        typealias Value = WalletMessageLimits
    }

    var walletMessageLimits: WalletMessageLimits {
        get {
            guard let value = storage[WalletMessageLimitsKey.self] else {
                fatalError("configure() installs the wallet message limits")
            }
            return value
        }
        set { storage[WalletMessageLimitsKey.self] = newValue }
    }
}
