import Foundation
import SignalDeskCore
import Testing

@Suite struct StrategyTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let rows: [(StrategyID, Exchange)] = StrategyID.allCases.flatMap { s in Exchange.allCases.map { (s, $0) } }

    static func account(_ strategy: StrategyID) -> PretradeCheck.Account {
        .init(
            strategyEnabled: true, strategy: strategy, secretConfigured: true,
            limits: RiskLimits(profile: .model2ConservadorProductivo, capitalBaseUSD: 10_000),
            risk: .init(openPositions: 0, lastActivityAt: nil, tradesToday: 0, realizedPnLToday: 0))
    }

    /// A proposal sitting exactly on every limit of the row: all checks pass.
    static func boundary(_ rules: StrategyRules) -> PretradeCheck.Proposal {
        .init(
            rewardRisk: rules.minRewardRisk, trendTimeframe: rules.trendTimeframes.last!,
            signalTimeframe: rules.signalTimeframes.last!, timingTimeframe: rules.timingTimeframes.last!,
            spreadBps: rules.maxSpreadBps ?? 1_000, slippageBps: rules.maxSlippageBps ?? 1_000,
            volume24hUSDT: rules.minVolume24hUSDT ?? 0)
    }

    static func failing(_ checks: [RuleCheck]) -> [String] { checks.filter { !$0.passed }.map(\.name) }

    @Test func theTable() {
        let swingCrypto = StrategyID.swingV1.rules(on: .binance)
        #expect(swingCrypto == StrategyID.swingV1.rules(on: .bybit))
        #expect(
            swingCrypto.minRewardRisk == 1.5 && swingCrypto.trendTimeframes == ["4H"]
                && swingCrypto.signalTimeframes == ["1H"])
        #expect(swingCrypto.timingTimeframes == ["15M"] && swingCrypto.minVolume24hUSDT == 50_000_000)
        #expect(swingCrypto.maxSpreadBps == 10 && swingCrypto.maxSlippageBps == 15 && swingCrypto.maxHoldMinutes == 480)
        let swingIBKR = StrategyID.swingV1.rules(on: .ibkr)
        #expect(swingIBKR.trendTimeframes == ["1D", "4H"] && swingIBKR.signalTimeframes == ["1H", "30M"])
        #expect(
            swingIBKR.timingTimeframes == ["5M", "15M"] && swingIBKR.minVolume24hUSDT == nil
                && swingIBKR.maxHoldMinutes == 480)
        let intraday = StrategyID.intradayV1.rules(on: .binance)
        #expect(
            intraday.minRewardRisk == 1.3 && intraday.trendTimeframes == ["1H"] && intraday.signalTimeframes == ["15M"])
        #expect(intraday.timingTimeframes == ["5M", "15M"] && intraday.minVolume24hUSDT == 80_000_000)
        #expect(intraday.maxSpreadBps == 8 && intraday.maxSlippageBps == 12 && intraday.maxHoldMinutes == 240)
        #expect(StrategyID.intradayV1.rules(on: .ibkr).maxHoldMinutes == 240)
    }

    @Test(arguments: rows.indices)
    func everyRuleOfEveryRowFlipsItsCheck(_ index: Int) {
        let (strategy, exchange) = Self.rows[index]
        let rules = strategy.rules(on: exchange)
        let base = Self.boundary(rules)
        let account = Self.account(strategy)
        let order = PretradeCheck.evaluate(exchange: exchange, account: account, proposal: base, now: Self.now).map(
            \.name)
        let common = [
            "strategy_enabled", "exchange_secret_configured", "daily_stop_not_reached", "max_trades_not_reached",
            "max_open_positions_not_reached", "cooldown_passed", "strategy_rr_min", "strategy_trend_tf",
            "strategy_signal_tf", "strategy_timing_tf",
        ]
        #expect(
            order == common
                + (exchange == .ibkr
                    ? ["ibkr_in_rth", "ibkr_no_macro_block", "ibkr_no_earnings_24h"]
                    : ["liq_volume_24h", "liq_spread_bps", "liq_slippage_bps"])
                + ["market_regime_allowed", "max_leverage"])
        #expect(
            Self.failing(PretradeCheck.evaluate(exchange: exchange, account: account, proposal: base, now: Self.now))
                .isEmpty)

        var flips: [(String, PretradeCheck.Proposal)] = []
        var p = base; p.rewardRisk = rules.minRewardRisk - 0.01; flips.append(("strategy_rr_min", p))
        p = base; p.trendTimeframe = "1W"; flips.append(("strategy_trend_tf", p))
        p = base; p.signalTimeframe = "1W"; flips.append(("strategy_signal_tf", p))
        p = base; p.timingTimeframe = "1W"; flips.append(("strategy_timing_tf", p))
        if exchange == .ibkr {
            p = base; p.inRegularTradingHours = false; flips.append(("ibkr_in_rth", p))
            p = base; p.macroEventBlock = true; flips.append(("ibkr_no_macro_block", p))
            p = base; p.earningsWithin24h = true; flips.append(("ibkr_no_earnings_24h", p))
        } else {
            p = base; p.volume24hUSDT = rules.minVolume24hUSDT! - 1; flips.append(("liq_volume_24h", p))
            p = base; p.spreadBps = rules.maxSpreadBps! + 0.1; flips.append(("liq_spread_bps", p))
            p = base; p.slippageBps = rules.maxSlippageBps! + 0.1; flips.append(("liq_slippage_bps", p))
        }
        for (name, proposal) in flips {
            let failed = Self.failing(
                PretradeCheck.evaluate(exchange: exchange, account: account, proposal: proposal, now: Self.now))
            #expect(failed == [name], "\(strategy.rawValue)/\(exchange.rawValue): flipping \(name) failed \(failed)")
        }
    }

    @Test func accountChecksFlipToo() {
        var account = Self.account(.swingV1)
        let proposal = Self.boundary(StrategyID.swingV1.rules(on: .binance))
        func failed() -> [String] {
            Self.failing(
                PretradeCheck.evaluate(exchange: .binance, account: account, proposal: proposal, now: Self.now))
        }
        account.strategyEnabled = false; #expect(failed() == ["strategy_enabled"]); account.strategyEnabled = true
        account.secretConfigured = false; #expect(failed() == ["exchange_secret_configured"]);
        account.secretConfigured = true
        account.risk.realizedPnLToday = -150; #expect(failed() == ["daily_stop_not_reached"]);
        account.risk.realizedPnLToday = 0
        account.risk.tradesToday = 3; #expect(failed() == ["max_trades_not_reached"]); account.risk.tradesToday = 0
        account.risk.openPositions = 2; #expect(failed() == ["max_open_positions_not_reached"]);
        account.risk.openPositions = 0
        account.risk.lastActivityAt = Self.now.addingTimeInterval(-29 * 60); #expect(failed() == ["cooldown_passed"])
        account.risk.lastActivityAt = Self.now.addingTimeInterval(-30 * 60); #expect(failed().isEmpty)
    }

    @Test func detailsNameWhatWasCompared() {
        var account = Self.account(.swingV1)
        account.risk.tradesToday = 1
        let checks = PretradeCheck.evaluate(
            exchange: .binance, account: account, proposal: .init(trendTimeframe: "1h"), now: Self.now)
        let detail = Dictionary(uniqueKeysWithValues: checks.map { ($0.name, $0.detail) })
        #expect(detail["max_trades_not_reached"] == "trades=1/3")
        #expect(detail["strategy_trend_tf"] == "value=1H allowed=[4H]")
        #expect(detail["strategy_rr_min"] == "value=2 min=1.50")
        #expect(detail["liq_volume_24h"] == "value=100000000 min=50000000")
    }

    @Test func exitReasonsInOrder() {
        let rules = StrategyID.swingV1.rules(on: .ibkr)
        let everything = ExitCheck.Situation(
            side: .long, entryPrice: 100, currentPrice: 90, stopLoss: 95, takeProfit: 90,
            openedMinutes: 480, trendBreak: true, signalReverse: true, macroEventBlock: true)
        let all = ExitCheck.evaluate(everything, rules: rules, exchange: .ibkr)
        #expect(
            all.checks.map(\.name) == [
                "exit_stop_loss_hit", "exit_take_profit_hit", "exit_time_limit", "exit_trend_break",
                "exit_signal_reverse", "exit_event_risk",
            ])
        #expect(
            all.reasons == [
                "stop_loss_hit", "take_profit_hit", "time_limit_reached", "trend_break", "signal_reverse",
                "event_risk_exit",
            ])
        let crypto = ExitCheck.evaluate(everything, rules: StrategyID.swingV1.rules(on: .binance), exchange: .binance)
        #expect(crypto.checks.count == 5 && !crypto.reasons.contains("event_risk_exit"))

        let hold = ExitCheck.evaluate(
            .init(
                side: .long, entryPrice: 100, currentPrice: 101, stopLoss: 95, takeProfit: 110,
                openedMinutes: 479), rules: rules, exchange: .ibkr)
        #expect(!hold.shouldExit && hold.reasons.isEmpty)
    }

    @Test func exitPriceRulesForBothSides() {
        let rules = StrategyID.swingV1.rules(on: .binance)
        func reasons(_ side: TradeSide, _ current: Double) -> [String] {
            ExitCheck.evaluate(
                .init(
                    side: side, entryPrice: 100, currentPrice: current,
                    stopLoss: side == .long ? 95 : 105, takeProfit: side == .long ? 110 : 90),
                rules: rules, exchange: .binance
            ).reasons
        }
        #expect(
            reasons(.long, 95) == ["stop_loss_hit"] && reasons(.long, 95.01).isEmpty
                && reasons(.long, 110) == ["take_profit_hit"])
        #expect(
            reasons(.short, 105) == ["stop_loss_hit"] && reasons(.short, 104.99).isEmpty
                && reasons(.short, 90) == ["take_profit_hit"])
    }

    @Test func decimalText() {
        #expect(DecimalText.format(0.001) == "0.001")
        #expect(DecimalText.format(25_000) == "25000")
        #expect(DecimalText.format(0.00000001) == "0.00000001")
        #expect(DecimalText.format(1.5) == "1.5")
    }
}
