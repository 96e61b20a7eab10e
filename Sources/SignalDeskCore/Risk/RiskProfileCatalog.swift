import Foundation

/// The risk profiles as data (issue 25, group 11; crypto-saas's `GET/PUT /ops/admin/risk/profiles`):
/// the two built-in profiles with the limits of contract.md, overridden or joined by the profiles
/// an admin stored. Every limit check reads a user's limits through a catalog.
public struct RiskProfileCatalog: Sendable, Equatable {
    /// Profiles an admin stored, by name: they replace a built-in of the same name.
    public let stored: [String: RiskProfile.Limits]

    public init(stored: [String: RiskProfile.Limits] = [:]) {
        self.stored = stored
    }

    /// Only the built-in profiles.
    public static let builtIn = RiskProfileCatalog()

    /// The limits of profile `name`, or nil when there is no such profile.
    public func limits(named name: String) -> RiskProfile.Limits? {
        stored[name] ?? RiskProfile(rawValue: name)?.limits
    }

    /// Every profile, ordered by name (the list `GET /ops/admin/risk/profiles` answers).
    public var all: [(name: String, limits: RiskProfile.Limits)] {
        var names = Set(RiskProfile.allCases.map(\.rawValue))
        names.formUnion(stored.keys)
        return names.sorted().compactMap { name in limits(named: name).map { (name, $0) } }
    }

    public var names: [String] { all.map(\.name) }

    /// A user's profile: the one an admin assigned if it exists, else the one configured for the
    /// email (`RISK_PROFILE_LOOSE_EMAIL`, `RISK_PROFILE_MODEL2_EMAIL`), else the default.
    public func resolve(
        assigned: String?, email: String, looseEmail: String?, model2Email: String?
    ) -> (name: String, limits: RiskProfile.Limits) {
        if let assigned, let limits = limits(named: assigned) { return (assigned, limits) }
        let profile = RiskProfile.resolve(stored: nil, email: email, looseEmail: looseEmail, model2Email: model2Email)
        return (profile.rawValue, limits(named: profile.rawValue) ?? profile.limits)
    }

    /// A user's limits in currency.
    public func limits(
        assigned: String?, email: String, looseEmail: String?, model2Email: String?, capitalBaseUSD: Double
    ) -> RiskLimits {
        let profile = resolve(assigned: assigned, email: email, looseEmail: looseEmail, model2Email: model2Email)
        return RiskLimits(profileName: profile.name, rules: profile.limits, capitalBaseUSD: capitalBaseUSD)
    }
}

/// `PUT /ops/admin/risk/profiles/{name}`: the name and the body, checked as crypto-saas checks them
/// (400 naming the field out of range).
public enum RiskProfileUpdate {
    /// The longest profile name accepted.
    public static let maxNameLength = 64

    public enum Problem: Error, Equatable {
        case nameRequired
        case nameInvalid
        case outOfRange(String)

        public var message: String {
            switch self {
            case .nameRequired: "profile_name is required"
            case .nameInvalid:
                "profile_name must be at most \(RiskProfileUpdate.maxNameLength) letters, digits, '_', '-' or '.'"
            case .outOfRange(let field): "\(field) out of range"
            }
        }
    }

    /// The trimmed name, or the problem with it.
    public static func name(_ raw: String) throws(Problem) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw .nameRequired }
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || "_-.".unicodeScalars.contains($0)
        }
        guard name.count <= maxNameLength, allowed else { throw .nameInvalid }
        return name
    }

    /// The limits, each within crypto-saas's range, or the first field that is not (in body order).
    public static func checked(_ limits: RiskProfile.Limits) throws(Problem) -> RiskProfile.Limits {
        let ranges: [(String, Double, ClosedRange<Double>)] = [
            ("max_risk_per_trade_pct", limits.riskPerTradePct, 0.01...10),
            ("max_daily_loss_pct", limits.maxDailyLossPct, 0.1...50),
            ("max_trades_per_day", Double(limits.maxTradesPerDay), 1...200),
            ("max_open_positions", Double(limits.maxOpenPositions), 1...100),
            ("cooldown_between_trades_minutes", limits.cooldownMinutes, 0...1440),
            ("max_leverage", limits.maxLeverage, 0.1...50),
            ("min_rr", limits.minRewardRisk, 0.1...20),
        ]
        for (field, value, range) in ranges where !(value.isFinite && range.contains(value)) {
            throw .outOfRange(field)
        }
        return limits
    }
}
