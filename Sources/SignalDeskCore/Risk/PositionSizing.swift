/// Sizing a position from the risk profile when an alert sends no size:
/// `qty = capital * risk% / |entry - stop|`, so a stop-out loses exactly the allowed risk.
public enum PositionSizing {
    /// The quantity, or nil when it cannot be sized (no stop, stop at entry, non-positive values).
    /// `requestedRiskPct` (a signal's `base_risk_percent`) is capped by the profile's risk per trade.
    public static func quantity(limits: RiskLimits, entry: Double, stop: Double?, requestedRiskPct: Double? = nil)
        -> Double?
    {
        guard let stop, entry.isFinite, stop.isFinite, entry > 0, stop > 0, entry != stop else { return nil }
        let allowed = limits.rules.riskPerTradePct
        let pct = min(requestedRiskPct.map { $0 > 0 ? $0 : allowed } ?? allowed, allowed)
        let qty = limits.capitalBaseUSD * pct / 100 / abs(entry - stop)
        guard qty.isFinite, qty > 0 else { return nil }
        // Round down to 8 decimals so the risk never exceeds the allowance through rounding.
        return (qty * 1e8).rounded(.down) / 1e8
    }

    /// A reward-to-risk estimate from the levels: `|take - entry| / |entry - stop|`.
    public static func rewardRisk(entry: Double, stop: Double?, take: Double?) -> Double? {
        guard let stop, let take, entry != stop else { return nil }
        return abs(take - entry) / abs(entry - stop)
    }
}
