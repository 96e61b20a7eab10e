import Foundation
import SignalDeskCore
import Testing

/// Exchange `DYDX` (issue 23): a crypto venue in the strategy table, the pretrade and exit checks,
/// and the alerts of the dYdX service.
@Suite struct DydxExchangeTests {
    @Test func parsesAndIsACryptoVenueWithoutAPIKeys() {
        #expect(Exchange(parsing: " dydx ") == .dydx)
        #expect(Exchange.dydx.rawValue == "DYDX")
        #expect(Exchange.dydx.isCrypto && !Exchange.dydx.usesAPIKeys)
        #expect(Exchange.apiKeyExchanges == [.binance, .ibkr, .bybit])
        #expect(Exchange.allCases.filter(\.usesAPIKeys) == Exchange.apiKeyExchanges)
        #expect(Exchange.dydx.symbolStyle == .dydx)
    }

    /// SWING_V1 and INTRADAY_V1 on DYDX are the crypto rows of the table.
    @Test(arguments: StrategyID.allCases)
    func strategyRowsAreTheCryptoOnes(_ strategy: StrategyID) {
        #expect(strategy.rules(on: .dydx) == strategy.rules(on: .binance))
        #expect(strategy.rules(on: .dydx) != strategy.rules(on: .ibkr))
    }

    @Test func pretradeHasTheLiquidityChecksWithTheCryptoLimits() {
        let account = PretradeCheck.Account(
            strategyEnabled: true, strategy: .intradayV1, secretConfigured: true,
            limits: RiskLimits(profile: .model2ConservadorProductivo, capitalBaseUSD: 10_000),
            risk: .init(openPositions: 0, lastActivityAt: nil, tradesToday: 0, realizedPnLToday: 0))
        // INTRADAY_V1 crypto: volume at least 80,000,000, spread at most 8, slippage at most 12.
        let proposal = PretradeCheck.Proposal(
            rewardRisk: 1.3, trendTimeframe: "1H", signalTimeframe: "15M", timingTimeframe: "5M", spreadBps: 9,
            slippageBps: 12, volume24hUSDT: 79_999_999)
        let checks = PretradeCheck.evaluate(exchange: .dydx, account: account, proposal: proposal, now: Date())
        #expect(
            Array(checks.map(\.name).dropLast(2).suffix(3)) == ["liq_volume_24h", "liq_spread_bps", "liq_slippage_bps"])
        #expect(checks.filter { !$0.passed }.map(\.name) == ["liq_volume_24h", "liq_spread_bps"])
        #expect(!checks.contains { $0.name.hasPrefix("ibkr_") })
    }

    @Test func exitHasNoEventRiskCheck() {
        let situation = ExitCheck.Situation(
            side: .short, entryPrice: 100, currentPrice: 106, stopLoss: 105, takeProfit: 90, openedMinutes: 240,
            macroEventBlock: true, earningsWithin24h: true)
        let outcome = ExitCheck.evaluate(situation, rules: StrategyID.intradayV1.rules(on: .dydx), exchange: .dydx)
        #expect(outcome.checks.count == 5)
        #expect(outcome.reasons == ["stop_loss_hit", "time_limit_reached"])
    }

    /// A `-USD` symbol (the dYdX service's alerts) selects DYDX unless the alert names an exchange.
    @Test(arguments: [
        ("BTC-USD", Exchange.dydx), ("eth-usd", .dydx), ("DYDX:SOL-USD", .dydx), (" btc-usd ", .dydx),
        ("BTCUSDT", nil), ("BTC/USD", nil), ("BTC-USDT", nil), ("BINANCE:BTCUSDT", nil), ("BTCUSD", nil),
        ("AAPL", nil),
    ])
    func aDashUSDSymbolSelectsDydx(_ symbol: String, _ expected: Exchange?) throws {
        let alert = try TradingViewAlert.parse(["symbol": .string(symbol), "side": .string("buy")])
        #expect(alert.exchange == expected, "\(symbol)")
    }

    @Test func anExchangeNamedInTheAlertWins() throws {
        let named = try TradingViewAlert.parse([
            "symbol": .string("BTC-USD"), "side": .string("sell"), "exchange": .string("bybit"),
        ])
        #expect(named.exchange == .bybit)
        #expect(named.symbol.formatted(.bybit) == "BTCUSDT")
        let dydx = try TradingViewAlert.parse([
            "symbol": .string("BTCUSDT"), "side": .string("sell"), "exchange": .string("DYDX"),
        ])
        #expect(dydx.exchange == .dydx)
        #expect(dydx.symbol.formatted(.dydx) == "BTC-USD")
        #expect(throws: TradingViewAlert.Problem.self) {
            try TradingViewAlert.parse([
                "symbol": .string("BTC-USD"), "side": .string("buy"), "exchange": .string("ftx"),
            ])
        }
    }

    @Test func theTestOrderAuditFamilyCoversDydx() {
        #expect(AuditAction.testOrder(.dydx, succeeded: true).rawValue == "execution.dydx.test_order.success")
        #expect(AuditAction.testOrder(.dydx, succeeded: false).rawValue == "execution.dydx.test_order.error")
    }
}
