import Foundation
import SignalDeskCore
import Testing

@testable import SignalDeskServer

/// DYDX_NETWORK and DYDX_INDEXER_URL (issue 22): testnet by default, mainnet only with
/// EXECUTION_MODE=live, the indexer an http(s) URL.
@Suite struct DydxConfigTests {
    func parse(_ overrides: [String: String]) throws(ConfigError) -> AppConfig {
        try AppConfig.parse(environment: ConfigTests.minimal.merging(overrides) { $1 }, production: false)
    }

    @Test func defaultsAndOverrides() throws {
        let defaults = try parse([:])
        #expect(defaults.dydxNetwork == .testnet)
        #expect(defaults.dydxIndexerURL == nil)
        let live = try parse([
            "DYDX_NETWORK": "MAINNET", "EXECUTION_MODE": "live", "DYDX_INDEXER_URL": "http://127.0.0.1:9010",
        ])
        #expect(live.dydxNetwork == .mainnet)
        #expect(live.dydxIndexerURL?.port == 9010)
        #expect(DydxNetwork.mainnet.chainID == "dydx-mainnet-1")
        #expect(DydxNetwork.testnet.chainID == "dydx-testnet-4")
        // Issue 23: the chain id follows the network unless set; the node's REST URL.
        #expect(defaults.dydxChainID == "dydx-testnet-4")
        #expect(defaults.dydxNodeRESTURL == nil)
        #expect(live.dydxChainID == "dydx-mainnet-1")
        let local = try parse(["DYDX_CHAIN_ID": "localdydxprotocol", "DYDX_NODE_REST_URL": "http://127.0.0.1:1317"])
        #expect(local.dydxChainID == "localdydxprotocol")
        #expect(local.dydxNodeRESTURL?.port == 1317)
    }

    @Test func mainnetWithoutLiveAndBadValuesAreProblems() {
        for (overrides, expected) in [
            (["DYDX_NETWORK": "mainnet"], "DYDX_NETWORK=mainnet requires EXECUTION_MODE=live"),
            (["DYDX_NETWORK": "devnet"], "DYDX_NETWORK must be one of: testnet, mainnet"),
            (["DYDX_INDEXER_URL": "ftp://x"], "DYDX_INDEXER_URL must be an http:// or https:// URL"),
            (["DYDX_NODE_REST_URL": "localhost:1317"], "DYDX_NODE_REST_URL must be an http:// or https:// URL"),
            (
                ["DYDX_CHAIN_ID": "dydx-mainnet-1"],
                "DYDX_CHAIN_ID dydx-mainnet-1 is mainnet's: set DYDX_NETWORK=mainnet (with EXECUTION_MODE=live)"
            ),
            (
                ["DYDX_NETWORK": "mainnet", "EXECUTION_MODE": "live", "DYDX_CHAIN_ID": "dydx-testnet-4"],
                "DYDX_CHAIN_ID must be dydx-mainnet-1 with DYDX_NETWORK=mainnet"
            ),
            (
                ["DYDX_CHAIN_ID": "Dydx Testnet"],
                "DYDX_CHAIN_ID must be lower-case letters, digits and '-' (at most 48)"
            ),
        ] {
            do {
                _ = try parse(overrides)
                Issue.record("expected a problem for \(overrides)")
            } catch {
                #expect(error.problems.contains(expected), "\(error.problems)")
            }
        }
    }
}
