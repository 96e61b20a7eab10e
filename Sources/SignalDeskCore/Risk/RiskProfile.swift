/// The two built-in risk profiles of contract.md. Admins may change their limits or add profiles
/// (`PUT /ops/admin/risk/profiles/{name}`, issue 25 group 11): see ``RiskProfileCatalog``.
public enum RiskProfile: String, Sendable, CaseIterable, Codable {
    case model2ConservadorProductivo = "model2_conservador_productivo"
    case modeloSueltoControlado = "modelo_suelto_controlado"

    /// The profile a user gets when an admin has not set one.
    public static let `default`: RiskProfile = .model2ConservadorProductivo

    /// Limits of one profile. Percentages are of the user's capital base.
    public struct Limits: Sendable, Equatable {
        public let riskPerTradePct: Double
        public let maxDailyLossPct: Double
        public let maxTradesPerDay: Int
        public let maxOpenPositions: Int
        /// Minutes between trades; may be fractional.
        public let cooldownMinutes: Double
        public let minRewardRisk: Double
        /// The most leverage a pretrade check accepts (`max_leverage` check).
        public let maxLeverage: Double
        /// Whether an open without a stop loss is refused. The built-in profiles open without one
        /// (the contract's risk-per-trade check is skipped then); a stored profile may require it.
        public let stopLossRequired: Bool

        public init(
            riskPerTradePct: Double, maxDailyLossPct: Double, maxTradesPerDay: Int, maxOpenPositions: Int,
            cooldownMinutes: Double, minRewardRisk: Double, maxLeverage: Double = 1.0, stopLossRequired: Bool = false
        ) {
            self.riskPerTradePct = riskPerTradePct
            self.maxDailyLossPct = maxDailyLossPct
            self.maxTradesPerDay = maxTradesPerDay
            self.maxOpenPositions = maxOpenPositions
            self.cooldownMinutes = cooldownMinutes
            self.minRewardRisk = minRewardRisk
            self.maxLeverage = maxLeverage
            self.stopLossRequired = stopLossRequired
        }
    }

    public var limits: Limits {
        switch self {
        case .model2ConservadorProductivo:
            Limits(
                riskPerTradePct: 0.50, maxDailyLossPct: 1.50, maxTradesPerDay: 3, maxOpenPositions: 2,
                cooldownMinutes: 30, minRewardRisk: 1.5)
        case .modeloSueltoControlado:
            Limits(
                riskPerTradePct: 0.75, maxDailyLossPct: 2.00, maxTradesPerDay: 4, maxOpenPositions: 2,
                cooldownMinutes: 20, minRewardRisk: 1.3)
        }
    }

    /// The profile for a user: the one an admin stored, else the one configured for the email
    /// (`RISK_PROFILE_LOOSE_EMAIL`, `RISK_PROFILE_MODEL2_EMAIL`), else the default.
    public static func resolve(
        stored: String?, email: String, looseEmail: String?, model2Email: String?
    ) -> RiskProfile {
        if let stored, let profile = RiskProfile(rawValue: stored) { return profile }
        let email = EmailAddress.normalized(email)
        if let looseEmail, EmailAddress.normalized(looseEmail) == email { return .modeloSueltoControlado }
        if let model2Email, EmailAddress.normalized(model2Email) == email { return .model2ConservadorProductivo }
        return .default
    }
}
