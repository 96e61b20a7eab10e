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

extension DydxNetwork {
    /// A public REST endpoint of a node of the network, used when `DYDX_NODE_REST_URL` is not set.
    /// Not checked from this machine (no internet): operators should name their own node, since
    /// public endpoints change and are rate limited.
    public var publicNodeRESTURL: String {
        switch self {
        case .testnet: "https://test-dydx-rest.kingnodes.com"
        case .mainnet: "https://dydx-rest.publicnode.com"
        }
    }
}

/// `DYDX_CHAIN_ID` as configured: a chain id of the configured network.
public enum DydxChainID {
    /// Why `chainID` is refused for `network`, or nil: lower-case letters, digits and `-`, at most
    /// 48 characters; mainnet only `dydx-mainnet-1`, and a testnet configuration never signs for it
    /// (a testnet mnemonic's orders must not reach mainnet by a typo).
    public static func problem(_ chainID: String, network: DydxNetwork) -> String? {
        guard (1...48).contains(chainID.count),
            chainID.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") })
        else { return "DYDX_CHAIN_ID must be lower-case letters, digits and '-' (at most 48)" }
        switch network {
        case .mainnet where chainID != DydxNetwork.mainnet.chainID:
            return "DYDX_CHAIN_ID must be \(DydxNetwork.mainnet.chainID) with DYDX_NETWORK=mainnet"
        case .testnet where chainID == DydxNetwork.mainnet.chainID:
            return "DYDX_CHAIN_ID \(chainID) is mainnet's: set DYDX_NETWORK=mainnet (with EXECUTION_MODE=live)"
        default:
            return nil
        }
    }
}
