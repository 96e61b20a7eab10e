import Foundation
import Testing

@testable import SignalDeskCore

/// Risk profiles and strategy runtime policies as data, market regimes and the symbol exposure
/// limit (issue 25, groups 11 and 12).
@Suite struct TradingSettingsTests {
    static let tight = RiskProfile.Limits(
        riskPerTradePct: 0.4, maxDailyLossPct: 1.2, maxTradesPerDay: 2, maxOpenPositions: 1, cooldownMinutes: 25.5,
        minRewardRisk: 1.6, maxLeverage: 2, stopLossRequired: true)

    @Test func theCatalogStartsWithTheContractsProfiles() {
        let catalog = RiskProfileCatalog.builtIn
        #expect(catalog.names == ["model2_conservador_productivo", "modelo_suelto_controlado"])
        #expect(
            catalog.limits(named: "model2_conservador_productivo") == RiskProfile.model2ConservadorProductivo.limits)
        #expect(catalog.limits(named: "nope") == nil)
        // The built-ins open without a stop (the contract skips risk per trade then) at leverage 1.
        #expect(RiskProfile.allCases.allSatisfy { !$0.limits.stopLossRequired && $0.limits.maxLeverage == 1 })
    }

    @Test func storedProfilesReplaceBuiltInsAndJoinThem() {
        let catalog = RiskProfileCatalog(stored: ["model2_conservador_productivo": Self.tight, "custom": Self.tight])
        #expect(catalog.names == ["custom", "model2_conservador_productivo", "modelo_suelto_controlado"])
        #expect(catalog.limits(named: "model2_conservador_productivo") == Self.tight)
        // Nobody assigned: the default profile, with its stored limits.
        let byDefault = catalog.limits(
            assigned: nil, email: "a@b.co", looseEmail: nil, model2Email: nil, capitalBaseUSD: 1000)
        #expect(byDefault.profileName == "model2_conservador_productivo" && byDefault.rules == Self.tight)
        #expect(byDefault.dailyStop == -12 && byDefault.maxRiskPerTrade == 4)
        let assigned = catalog.limits(
            assigned: "custom", email: "a@b.co", looseEmail: "a@b.co", model2Email: nil, capitalBaseUSD: 1000)
        #expect(assigned.profileName == "custom")
        // An assignment to a profile that no longer exists falls back to the email's, then the default.
        let gone = catalog.limits(
            assigned: "deleted", email: "A@b.co", looseEmail: "a@b.co", model2Email: nil, capitalBaseUSD: 1000)
        #expect(gone.profileName == "modelo_suelto_controlado")
    }

    @Test func profileUpdatesAreCheckedAsCryptoSaasChecksThem() throws {
        #expect(try RiskProfileUpdate.name("  model2_conservador_productivo ") == "model2_conservador_productivo")
        #expect(throws: RiskProfileUpdate.Problem.nameRequired) { try RiskProfileUpdate.name("  ") }
        #expect(throws: RiskProfileUpdate.Problem.nameInvalid) { try RiskProfileUpdate.name("two words") }
        #expect(throws: RiskProfileUpdate.Problem.nameInvalid) {
            try RiskProfileUpdate.name(String(repeating: "a", count: 65))
        }
        #expect(try RiskProfileUpdate.checked(Self.tight) == Self.tight)
        let bad: [(String, RiskProfile.Limits)] = [
            ("max_risk_per_trade_pct", Self.with(riskPerTradePct: 10.01)),
            ("max_daily_loss_pct", Self.with(maxDailyLossPct: 0.09)),
            ("max_trades_per_day", Self.with(maxTradesPerDay: 0)),
            ("max_open_positions", Self.with(maxOpenPositions: 101)),
            ("cooldown_between_trades_minutes", Self.with(cooldownMinutes: -1)),
            ("max_leverage", Self.with(maxLeverage: 50.5)),
            ("min_rr", Self.with(minRewardRisk: .nan)),
        ]
        for (field, limits) in bad {
            #expect(throws: RiskProfileUpdate.Problem.outOfRange(field)) { try RiskProfileUpdate.checked(limits) }
            #expect(RiskProfileUpdate.Problem.outOfRange(field).message == "\(field) out of range")
        }
    }

    static func with(
        riskPerTradePct: Double = 0.5, maxDailyLossPct: Double = 1.5, maxTradesPerDay: Int = 3,
        maxOpenPositions: Int = 2, cooldownMinutes: Double = 30, minRewardRisk: Double = 1.5, maxLeverage: Double = 1
    ) -> RiskProfile.Limits {
        .init(
            riskPerTradePct: riskPerTradePct, maxDailyLossPct: maxDailyLossPct, maxTradesPerDay: maxTradesPerDay,
            maxOpenPositions: maxOpenPositions, cooldownMinutes: cooldownMinutes, minRewardRisk: minRewardRisk,
            maxLeverage: maxLeverage)
    }

    /// crypto-saas's inference, with the inputs of its tests.
    @Test func marketRegimesFromTrendMomentumAndATR() {
        #expect(MarketRegime.infer(trend: 0, atr: 0, momentum: 0) == (.bull, .legacyDefault))
        #expect(MarketRegime.infer(trend: 0.6, atr: 3, momentum: 0.4) == (.bull, .auto))
        #expect(MarketRegime.infer(trend: 0, atr: 8, momentum: 0) == (.range, .auto))
        #expect(MarketRegime.infer(trend: 0, atr: 9, momentum: 0) == (.range, .auto))
        #expect(MarketRegime.infer(trend: -0.5, atr: 5.5, momentum: 0) == (.bear, .auto))
        #expect(MarketRegime.infer(trend: -0.5, atr: 5.6, momentum: 0) == (.range, .auto))
        // 0.7 × 0.25 + 0.3 × 0.25 = 0.25: the edge is bull; strong trend with a wide ATR is range.
        #expect(MarketRegime.infer(trend: 0.25, atr: 5, momentum: 0.25).regime == .bull)
        #expect(MarketRegime.infer(trend: 0.9, atr: 5.01, momentum: 0.9).regime == .range)
    }

    /// With no regime inputs every request is judged by the contract's strategy table.
    @Test(arguments: StrategyID.allCases)
    func theBullDefaultsAreTheContractsTable(_ strategy: StrategyID) {
        for exchange in Exchange.allCases {
            let base = strategy.rules(on: exchange)
            let policy = StrategyRuntimePolicy.defaults(strategy, on: exchange)
            #expect(policy.rules(base, in: .bull, exchange: exchange) == base, "\(strategy) \(exchange)")
            #expect(policy.bull.allowed && policy.bear.allowed && !policy.range.allowed)
            #expect(policy.range.minRewardRisk > policy.bull.minRewardRisk)
            #expect(
                policy.regimeCheck(.bull)
                    == RuleCheck(name: "market_regime_allowed", passed: true, detail: "regime=bull allowed=true"))
            #expect(!policy.regimeCheck(.range).passed)
        }
    }

    @Test func aPolicyGivesItsRegimesNumbersAndKeepsIBKRWithoutLiquidityChecks() {
        var policy = StrategyRuntimePolicy.defaults(.swingV1, on: .binance)
        policy.range = .init(
            allowed: true, minRewardRisk: 2.2, minVolume24hUSDT: 9e7, maxSpreadBps: 7, maxSlippageBps: 10,
            maxHoldMinutes: 100.9)
        let range = policy.rules(StrategyID.swingV1.rules(on: .binance), in: .range, exchange: .binance)
        #expect(range.minRewardRisk == 2.2 && range.minVolume24hUSDT == 9e7 && range.maxSpreadBps == 7)
        #expect(range.maxSlippageBps == 10 && range.maxHoldMinutes == 100)
        #expect(range.trendTimeframes == ["4H"])
        let ibkr = policy.rules(StrategyID.swingV1.rules(on: .ibkr), in: .range, exchange: .ibkr)
        #expect(ibkr.minVolume24hUSDT == nil && ibkr.maxSpreadBps == nil && ibkr.minRewardRisk == 2.2)
    }

    @Test func policyUpdatesAreCheckedAsCryptoSaasChecksThem() throws {
        let policy = StrategyRuntimePolicy.defaults(.intradayV1, on: .bybit)
        #expect(try StrategyRuntimePolicyUpdate.checked(policy) == policy)
        var bad = policy
        bad.bear.minRewardRisk = 0.05
        #expect(throws: RiskProfileUpdate.Problem.outOfRange("rr_min_bear")) {
            try StrategyRuntimePolicyUpdate.checked(bad)
        }
        bad = policy
        bad.range.maxSpreadBps = 501
        #expect(throws: RiskProfileUpdate.Problem.outOfRange("max_spread_bps_range")) {
            try StrategyRuntimePolicyUpdate.checked(bad)
        }
        bad = policy
        bad.bull.maxHoldMinutes = 10_081
        #expect(throws: RiskProfileUpdate.Problem.outOfRange("max_hold_minutes_bull")) {
            try StrategyRuntimePolicyUpdate.checked(bad)
        }
        bad = policy
        bad.bull.minVolume24hUSDT = -1
        #expect(throws: RiskProfileUpdate.Problem.outOfRange("min_volume_24h_usdt_bull")) {
            try StrategyRuntimePolicyUpdate.checked(bad)
        }
    }

    @Test func pretradeUsesTheRegimesNumbersAndAppendsItsTwoChecks() {
        var policy = StrategyRuntimePolicy.defaults(.swingV1, on: .binance)
        policy.range.allowed = true
        policy.range.minRewardRisk = 2.2
        let limits = RiskLimits(profileName: "x", rules: Self.tight, capitalBaseUSD: 10_000)
        let account = PretradeCheck.Account(
            strategyEnabled: true, strategy: .swingV1, secretConfigured: true, limits: limits,
            risk: .init(openPositions: 0, lastActivityAt: nil, tradesToday: 0, realizedPnLToday: 0), policy: policy)
        func failed(_ proposal: PretradeCheck.Proposal) -> [String] {
            PretradeCheck.evaluate(exchange: .binance, account: account, proposal: proposal, now: Date()).filter {
                !$0.passed
            }.map(\.name)
        }
        let range = PretradeCheck.Proposal(
            rewardRisk: 2.0, spreadBps: 6, slippageBps: 9, volume24hUSDT: 95_000_000, atrPct: 8)
        #expect(failed(range) == ["strategy_rr_min"])
        var better = range
        better.rewardRisk = 2.3
        #expect(failed(better).isEmpty)
        better.leverage = 2.5
        #expect(failed(better) == ["max_leverage"])
        // The same proposal without regime inputs is bull: the contract's 1.5.
        var legacy = range
        legacy.atrPct = 0
        #expect(failed(legacy).isEmpty)
        policy.bull.allowed = false
        let closed = PretradeCheck.Account(
            strategyEnabled: true, strategy: .swingV1, secretConfigured: true, limits: limits,
            risk: account.risk, policy: policy)
        #expect(
            PretradeCheck.evaluate(exchange: .binance, account: closed, proposal: legacy, now: Date()).filter {
                !$0.passed
            }.map(\.name) == ["market_regime_allowed"])
    }

    @Test func symbolExposureAndRequiredStops() {
        let limit = SymbolExposureLimit(maxOpenQty: 0.005)
        #expect(limit.block(openQty: 0, adding: 0.005) == nil)
        #expect(limit.block(openQty: 0, adding: 0.01) == .symbolExposure(projected: 0.01, max: 0.005))
        #expect(
            OpenBlock.symbolExposure(projected: 0.01, max: 0.005).message
                == "Risk block: symbol exposure exceeded (0.01>0.005)")
        #expect(SymbolExposureLimit.off.block(openQty: 1e9, adding: 1e9) == nil)

        let state = OpenRiskCheck.State(
            openPositions: 0, lastActivityAt: nil, tradesToday: 0, realizedPnLToday: 0, symbolOpenQty: 0.004)
        let check = OpenRiskCheck(
            limits: RiskLimits(profileName: "x", rules: Self.tight, capitalBaseUSD: 10_000), exposure: limit)
        #expect(check.firstBlock(state: state, qty: 0.001, entry: 100, stop: nil, now: Date()) == .stopLossRequired)
        #expect(OpenBlock.stopLossRequired.message == "Risk block: stop loss required")
        #expect(
            check.firstBlock(state: state, qty: 0.002, entry: 100, stop: 95, now: Date())
                == .symbolExposure(projected: 0.006, max: 0.005))
        #expect(check.firstBlock(state: state, qty: 0.001, entry: 100, stop: 95, now: Date()) == nil)
        // A fractional cooldown is kept as it is.
        let recent = OpenRiskCheck.State(
            openPositions: 0, lastActivityAt: Date().addingTimeInterval(-25 * 60), tradesToday: 0,
            realizedPnLToday: 0)
        #expect(
            check.firstBlock(state: recent, qty: 0.001, entry: 100, stop: 95, now: Date())
                == .cooldown(minutes: 25.5))
        #expect(OpenBlock.cooldown(minutes: 25.5).message == "Risk block: cooldown active (25.5m)")
        #expect(
            AuditAction.openBlocked(.symbolExposure(projected: 1, max: 0)).rawValue
                == "position.open.blocked.symbol_exposure")
    }
}
