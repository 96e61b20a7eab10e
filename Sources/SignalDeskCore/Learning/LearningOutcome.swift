import Foundation

/// What a recorded decision turned out to be (issue 25, group 13): the price move of the picked
/// symbol `horizon` minutes after the decision, the way crypto-saas's learning pipeline labels it.
public enum LearningOutcome {
    /// crypto-saas's defaults: a decision is judged 60 minutes after it was made, and a decision
    /// still without a price 180 minutes after it was due is given up (`expired`).
    public static let defaultHorizonMinutes = 60
    public static let graceMinutes = 180

    /// The life of an outcome row: `pending` until labeled; `no_price` while it is due but no
    /// price is known (labeling tries it again); `labeled` or `expired` for good.
    public enum Status: String, Sendable, CaseIterable, Codable {
        case pending
        case labeled
        case expired
        case noPrice = "no_price"

        /// The statuses a labeling run looks at.
        public static let labelable: [Status] = [.pending, .noPrice]
    }

    /// The label of a due outcome.
    public enum Label: Sendable, Equatable {
        /// `returnPct` is the move in the decision's favour in percent (negative against it),
        /// `pnlQuote` what `qty` would have made, `hit` whether the move was favourable.
        case labeled(returnPct: Double, pnlQuote: Double, hit: Bool)
        /// No usable price yet, within the grace period: try again later.
        case noPrice
        /// No usable price by the end of the grace period.
        case expired

        public var status: Status {
            switch self {
            case .labeled: .labeled
            case .noPrice: .noPrice
            case .expired: .expired
            }
        }
    }

    /// Labels an outcome due at `dueAt`. A missing, non-finite or non-positive entry or exit price
    /// gives `noPrice` until `graceMinutes` after `dueAt`, then `expired`.
    public static func label(
        entry: Double?, exit: Double?, side: TradeSide, qty: Double, dueAt: Date, now: Date,
        graceMinutes: Int = graceMinutes
    ) -> Label {
        guard let entry, let exit, entry.isFinite, exit.isFinite, entry > 0, exit > 0 else {
            return now >= dueAt.addingTimeInterval(Double(graceMinutes) * 60) ? .expired : .noPrice
        }
        let sign: Double = side == .short ? -1 : 1
        let returnPct = (exit - entry) / entry * 100 * sign
        let size = qty.isFinite && qty > 0 ? qty : 0
        return .labeled(returnPct: returnPct, pnlQuote: size * (exit - entry) * sign, hit: returnPct > 0)
    }

    /// `part` of `whole` in percent with two decimals; 0 when `whole` is 0.
    public static func rate(_ part: Int, of whole: Int) -> Double {
        guard whole > 0 else { return 0 }
        return ((Double(max(0, part)) / Double(whole)) * 10_000).rounded() / 100
    }
}
