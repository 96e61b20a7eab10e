import AsyncHTTPClient
import Fluent
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// Unseals a user's exchange credentials for one call.
enum ExchangeCredentials {
    static func load(userID: UUID, exchange: Exchange, keyRing: KeyRing, on db: any Database) async throws -> (
        VenueCredentials, masked: String
    )? {
        guard
            let row = try await ExchangeSecret.query(on: db).filter(\.$user.$id == userID).filter(
                \.$exchange == exchange
            ).first()
        else { return nil }
        let key = try keyRing.openString(
            row.apiKeySealed, context: SealedField.exchangeAPIKey(exchange).context(owner: userID))
        let secret = try keyRing.openString(
            row.apiSecretSealed, context: SealedField.exchangeAPISecret(exchange).context(owner: userID))
        return (VenueCredentials(apiKey: key, apiSecret: secret), row.apiKeyMasked)
    }
}
