/// Upper bounds on numbers a client sends (issue 25, group 15; crypto-saas's later caps): beyond
/// them an input is a mistake or an attack on the arithmetic, never a trade.
public enum InputCaps {
    /// The largest quantity a pretrade check accepts.
    public static let maxQty: Double = 1_000_000
    /// The longest a position may have been open in an exit check: 7 days, in minutes.
    public static let maxOpenedMinutes: Double = 10_080
    /// The largest capital base an admin may give a user: beyond it the limits derived from it (the
    /// daily stop, the largest risk per trade) stop being finite numbers.
    public static let maxCapitalBaseUSD: Double = 1_000_000_000_000

    /// Whether `qty` is a positive finite number no larger than ``maxQty``.
    public static func acceptsQty(_ qty: Double) -> Bool { qty.isFinite && qty > 0 && qty <= maxQty }

    /// The largest realized PnL, either way, one close may book: beyond it the day's sums (risk
    /// today, the PnL summary) could stop being finite numbers.
    public static let maxAbsRealizedPnL: Double = 1_000_000_000_000_000

    /// Whether `pnl` is a finite number within ±``maxAbsRealizedPnL``.
    public static func acceptsRealizedPnL(_ pnl: Double) -> Bool { pnl.isFinite && abs(pnl) <= maxAbsRealizedPnL }

    /// Whether `capital` is a positive finite number no larger than ``maxCapitalBaseUSD``.
    public static func acceptsCapitalBase(_ capital: Double) -> Bool {
        capital.isFinite && capital > 0 && capital <= maxCapitalBaseUSD
    }

    /// Whether `minutes` is a finite number from 0 to ``maxOpenedMinutes``.
    public static func acceptsOpenedMinutes(_ minutes: Double) -> Bool {
        minutes.isFinite && minutes >= 0 && minutes <= maxOpenedMinutes
    }
}
