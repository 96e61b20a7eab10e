import Fluent
import Foundation
import NIOConcurrencyHelpers
import SignalDeskCore
import Vapor

/// The risk profiles and strategy runtime policies admins change at run time (issue 25, groups 11
/// and 12), as every limit check reads them.
struct TradingSettings: Sendable {
    let profiles: RiskProfileCatalog
    let policies: StrategyPolicyCatalog
    /// When a stored policy was written (nil for the defaults).
    let policyUpdatedAt: [StrategyPolicyCatalog.Key: Date]

    static let builtIn = TradingSettings(profiles: .builtIn, policies: .defaults, policyUpdatedAt: [:])

    /// The JSON of a risk profile, in the API's field names (`GET/PUT /ops/admin/risk/profiles`).
    struct ProfileBody: Content, Equatable {
        let maxRiskPerTradePct: Double
        let maxDailyLossPct: Double
        let maxTradesPerDay: Int
        let maxOpenPositions: Int
        let cooldownBetweenTradesMinutes: Double
        let maxLeverage: Double
        let stopLossRequired: Bool
        let minRr: Double

        init(_ limits: RiskProfile.Limits) {
            maxRiskPerTradePct = limits.riskPerTradePct
            maxDailyLossPct = limits.maxDailyLossPct
            maxTradesPerDay = limits.maxTradesPerDay
            maxOpenPositions = limits.maxOpenPositions
            cooldownBetweenTradesMinutes = limits.cooldownMinutes
            maxLeverage = limits.maxLeverage
            stopLossRequired = limits.stopLossRequired
            minRr = limits.minRewardRisk
        }

        var limits: RiskProfile.Limits {
            RiskProfile.Limits(
                riskPerTradePct: maxRiskPerTradePct, maxDailyLossPct: maxDailyLossPct, maxTradesPerDay: maxTradesPerDay,
                maxOpenPositions: maxOpenPositions, cooldownMinutes: cooldownBetweenTradesMinutes,
                minRewardRisk: minRr, maxLeverage: maxLeverage, stopLossRequired: stopLossRequired)
        }
    }

    /// The JSON of a strategy runtime policy, in the API's field names.
    struct PolicyBody: Content, Equatable {
        let allowBull: Bool
        let allowBear: Bool
        let allowRange: Bool
        let rrMinBull: Double
        let rrMinBear: Double
        let rrMinRange: Double
        let minVolume24hUsdtBull: Double
        let minVolume24hUsdtBear: Double
        let minVolume24hUsdtRange: Double
        let maxSpreadBpsBull: Double
        let maxSpreadBpsBear: Double
        let maxSpreadBpsRange: Double
        let maxSlippageBpsBull: Double
        let maxSlippageBpsBear: Double
        let maxSlippageBpsRange: Double
        let maxHoldMinutesBull: Double
        let maxHoldMinutesBear: Double
        let maxHoldMinutesRange: Double

        init(_ policy: StrategyRuntimePolicy) {
            allowBull = policy.bull.allowed
            allowBear = policy.bear.allowed
            allowRange = policy.range.allowed
            rrMinBull = policy.bull.minRewardRisk
            rrMinBear = policy.bear.minRewardRisk
            rrMinRange = policy.range.minRewardRisk
            minVolume24hUsdtBull = policy.bull.minVolume24hUSDT
            minVolume24hUsdtBear = policy.bear.minVolume24hUSDT
            minVolume24hUsdtRange = policy.range.minVolume24hUSDT
            maxSpreadBpsBull = policy.bull.maxSpreadBps
            maxSpreadBpsBear = policy.bear.maxSpreadBps
            maxSpreadBpsRange = policy.range.maxSpreadBps
            maxSlippageBpsBull = policy.bull.maxSlippageBps
            maxSlippageBpsBear = policy.bear.maxSlippageBps
            maxSlippageBpsRange = policy.range.maxSlippageBps
            maxHoldMinutesBull = policy.bull.maxHoldMinutes
            maxHoldMinutesBear = policy.bear.maxHoldMinutes
            maxHoldMinutesRange = policy.range.maxHoldMinutes
        }

        /// Written field by field: the synthesized keys would come out as `min_volume24h_usdt_*`
        /// (Foundation's snake case keeps digits on the word before them), not the
        /// `min_volume_24h_usdt_*` the API documents and the PUT reads. Decoding accepts both.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: AnyKey.self)
            for (name, value) in [("allow_bull", allowBull), ("allow_bear", allowBear), ("allow_range", allowRange)] {
                try container.encode(value, forKey: AnyKey(name))
            }
            let numbers: [(String, Double)] = [
                ("rr_min_bull", rrMinBull), ("rr_min_bear", rrMinBear), ("rr_min_range", rrMinRange),
                ("min_volume_24h_usdt_bull", minVolume24hUsdtBull), ("min_volume_24h_usdt_bear", minVolume24hUsdtBear),
                ("min_volume_24h_usdt_range", minVolume24hUsdtRange), ("max_spread_bps_bull", maxSpreadBpsBull),
                ("max_spread_bps_bear", maxSpreadBpsBear), ("max_spread_bps_range", maxSpreadBpsRange),
                ("max_slippage_bps_bull", maxSlippageBpsBull), ("max_slippage_bps_bear", maxSlippageBpsBear),
                ("max_slippage_bps_range", maxSlippageBpsRange), ("max_hold_minutes_bull", maxHoldMinutesBull),
                ("max_hold_minutes_bear", maxHoldMinutesBear), ("max_hold_minutes_range", maxHoldMinutesRange),
            ]
            for (name, value) in numbers { try container.encode(value, forKey: AnyKey(name)) }
        }

        var policy: StrategyRuntimePolicy {
            StrategyRuntimePolicy(
                bull: .init(
                    allowed: allowBull, minRewardRisk: rrMinBull, minVolume24hUSDT: minVolume24hUsdtBull,
                    maxSpreadBps: maxSpreadBpsBull, maxSlippageBps: maxSlippageBpsBull,
                    maxHoldMinutes: maxHoldMinutesBull),
                bear: .init(
                    allowed: allowBear, minRewardRisk: rrMinBear, minVolume24hUSDT: minVolume24hUsdtBear,
                    maxSpreadBps: maxSpreadBpsBear, maxSlippageBps: maxSlippageBpsBear,
                    maxHoldMinutes: maxHoldMinutesBear),
                range: .init(
                    allowed: allowRange, minRewardRisk: rrMinRange, minVolume24hUSDT: minVolume24hUsdtRange,
                    maxSpreadBps: maxSpreadBpsRange, maxSlippageBps: maxSlippageBpsRange,
                    maxHoldMinutes: maxHoldMinutesRange))
        }
    }

    static func policyName(_ key: StrategyPolicyCatalog.Key) -> String {
        "\(key.strategy.rawValue)/\(key.exchange.rawValue)"
    }

    /// The settings stored in `runtime_configs`. An entry this build cannot read (a hand-edited row)
    /// is an error, never silently the default: the limits would not be what the admin set.
    static func load(on db: any Database) async throws -> TradingSettings {
        var profiles: [String: RiskProfile.Limits] = [:]
        var policies: [StrategyPolicyCatalog.Key: StrategyRuntimePolicy] = [:]
        var updated: [StrategyPolicyCatalog.Key: Date] = [:]
        for row in try await RuntimeConfigStore().all(on: db) {
            switch RuntimeConfigStore.Kind(rawValue: row.kind) {
            case .riskProfile:
                profiles[row.name] = try JSONCoding.decoder.decode(ProfileBody.self, from: Data(row.body.utf8)).limits
            case .strategyPolicy:
                let parts = row.name.split(separator: "/").map(String.init)
                guard parts.count == 2, let strategy = StrategyID(rawValue: parts[0]),
                    let exchange = Exchange(rawValue: parts[1])
                else { throw UnreadableSetting(kind: row.kind, name: row.name) }
                let key = StrategyPolicyCatalog.Key(strategy, exchange)
                policies[key] = try JSONCoding.decoder.decode(PolicyBody.self, from: Data(row.body.utf8)).policy
                updated[key] = row.updatedAt
            case nil: throw UnreadableSetting(kind: row.kind, name: row.name)
            }
        }
        return TradingSettings(
            profiles: RiskProfileCatalog(stored: profiles), policies: StrategyPolicyCatalog(stored: policies),
            policyUpdatedAt: updated)
    }

    struct UnreadableSetting: Error, CustomStringConvertible {
        let kind: String
        let name: String
        var description: String { "runtime_configs row \(kind)/\(name) cannot be read" }
    }
}

/// The settings of this process, read from the database at most every ``TradingSettingsCache/maxAge``
/// seconds and at once after this process changed them: another instance's change is seen within
/// that time (docs/api.md, group 11).
final class TradingSettingsCache: Sendable {
    static let maxAge: TimeInterval = 2

    private struct Loaded {
        let settings: TradingSettings
        let at: TimeInterval
    }
    private let loaded = NIOLockedValueBox<Loaded?>(nil)
    private let uptime: @Sendable () -> TimeInterval

    init(uptime: @escaping @Sendable () -> TimeInterval = { ProcessInfo.processInfo.systemUptime }) {
        self.uptime = uptime
    }

    func current(on db: any Database) async throws -> TradingSettings {
        let now = uptime()
        if let loaded = loaded.withLockedValue({ $0 }), now - loaded.at < Self.maxAge { return loaded.settings }
        let settings = try await TradingSettings.load(on: db)
        self.loaded.withLockedValue { $0 = Loaded(settings: settings, at: now) }
        return settings
    }

    /// Forgets what was read: the next read goes to the database.
    func invalidate() {
        loaded.withLockedValue { $0 = nil }
    }
}

extension Application {
    private struct TradingSettingsKey: StorageKey {
        typealias Value = TradingSettingsCache
    }

    var tradingSettings: TradingSettingsCache {
        get {
            guard let cache = storage[TradingSettingsKey.self] else {
                fatalError("configure() installs the trading settings cache")
            }
            return cache
        }
        set { storage[TradingSettingsKey.self] = newValue }
    }
}
