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
    }

    @Test func mainnetWithoutLiveAndBadValuesAreProblems() {
        for (overrides, expected) in [
            (["DYDX_NETWORK": "mainnet"], "DYDX_NETWORK=mainnet requires EXECUTION_MODE=live"),
            (["DYDX_NETWORK": "devnet"], "DYDX_NETWORK must be one of: testnet, mainnet"),
            (["DYDX_INDEXER_URL": "ftp://x"], "DYDX_INDEXER_URL must be an http:// or https:// URL"),
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
