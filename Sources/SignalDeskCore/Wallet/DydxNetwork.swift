/// The dYdX v4 networks (REFERENCE.md, "Networks"): testnet by default, mainnet by opt-in.
public enum DydxNetwork: String, Sendable, CaseIterable {
    case testnet, mainnet

    public var chainID: String {
        switch self {
        case .testnet: "dydx-testnet-4"
        case .mainnet: "dydx-mainnet-1"
        }
    }

    /// The public indexer of the network, used when `DYDX_INDEXER_URL` is not set.
    public var publicIndexerURL: String {
        switch self {
        case .testnet: "https://indexer.v4testnet.dydx.exchange"
        case .mainnet: "https://indexer.dydx.trade"
        }
    }
}
