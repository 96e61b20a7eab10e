import SignalDeskVenues
import Vapor

extension Application {
    private struct DydxIndexerKey: StorageKey {
        typealias Value = DydxIndexerClient
    }

    /// The dYdX indexer `GET /api/user/account-balance` reads: `DYDX_INDEXER_URL`, else the
    /// configured network's public indexer, unless a test installed another. Reads only.
    var dydxIndexer: DydxIndexerClient {
        get {
            storage[DydxIndexerKey.self]
                ?? DydxIndexerClient(
                    baseURL: appConfig.dydxIndexerURL?.absoluteString ?? appConfig.dydxNetwork.publicIndexerURL,
                    transport: HTTPTransport(client: http.client.shared, timeout: .seconds(5)))
        }
        set { storage[DydxIndexerKey.self] = newValue }
    }
}
