import SignalDeskVenues
import Vapor

extension Application {
    private struct DydxIndexerKey: StorageKey {
        typealias Value = DydxIndexerClient
    }

    /// The dYdX indexer `GET /api/user/account-balance` reads: the public testnet indexer unless
    /// one was installed (tests install a local fake). Reads only; nothing here can trade.
    var dydxIndexer: DydxIndexerClient {
        get {
            storage[DydxIndexerKey.self]
                ?? DydxIndexerClient(
                    baseURL: DydxIndexerClient.testnetURL,
                    transport: HTTPTransport(client: http.client.shared, timeout: .seconds(5)))
        }
        set { storage[DydxIndexerKey.self] = newValue }
    }
}
