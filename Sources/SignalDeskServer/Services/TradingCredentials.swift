import Fluent
import Foundation
import SignalDeskCore
import SignalDeskVenues

/// Whether a user holds what trading on an exchange needs, without opening a sealed value: an API
/// key pair for BINANCE, IBKR and BYBIT; for DYDX a mnemonic for the configured network
/// (`DYDX_NETWORK`).
enum TradingCredentials {
    static func configured(userID: UUID, exchange: Exchange, dydxNetwork: DydxNetwork, on db: any Database)
        async throws -> Bool
    {
        if exchange.usesAPIKeys {
            return try await ExchangeSecret.query(on: db).filter(\.$user.$id == userID)
                .filter(\.$exchange == exchange).count() > 0
        }
        return try await dydxAddress(userID: userID, network: dydxNetwork, on: db) != nil
    }

    /// The user's dYdX credentials for `network`, unsealed for one execution: the stored address
    /// and the mnemonic (``DydxClient``'s form), or nil without one.
    static func dydx(userID: UUID, network: DydxNetwork, keyRing: KeyRing, on db: any Database) async throws
        -> VenueCredentials?
    {
        guard
            let row = try await DydxCredential.query(on: db).filter(\.$user.$id == userID)
                .filter(\.$network == network.rawValue).first()
        else { return nil }
        let phrase = try keyRing.openString(
            row.mnemonicSealed, context: SealedField.dydxMnemonic.context(owner: userID))
        return VenueCredentials(apiKey: row.address, apiSecret: phrase)
    }

    /// The dYdX address stored with the user's mnemonic for `network`, or nil without one.
    static func dydxAddress(userID: UUID, network: DydxNetwork, on db: any Database) async throws -> String? {
        try await DydxCredential.query(on: db).filter(\.$user.$id == userID)
            .filter(\.$network == network.rawValue).field(\.$address).first()?.address
    }
}
