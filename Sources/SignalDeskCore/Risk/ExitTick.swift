import Foundation

/// The auto-exit tick's policy (issue 25, group 3): which exit candidates of one tick are closed,
/// in which order, and which are skipped and why.
public enum ExitTick {
    /// The brakes on real closes, from the environment (`AUTO_EXIT_INTERNAL_*`).
    public struct Policy: Sendable, Equatable {
        /// No real close at all (an emergency brake); dry runs still report.
        public var paused: Bool
        /// Real closes per tick; 0 is no limit.
        public var maxClosesPerTick: Int
        /// A user's symbol closed within this many seconds is not closed again.
        public var symbolCooldownSeconds: Int
        /// The tick stops closing after this many failed closes.
        public var maxErrorsPerTick: Int

        public init(
            paused: Bool = false, maxClosesPerTick: Int = 2, symbolCooldownSeconds: Int = 300, maxErrorsPerTick: Int = 3
        ) {
            self.paused = paused
            self.maxClosesPerTick = maxClosesPerTick
            self.symbolCooldownSeconds = symbolCooldownSeconds
            self.maxErrorsPerTick = max(1, maxErrorsPerTick)
        }
    }

    /// Why a candidate was not closed; written `policy_skipped:<reason>`.
    public enum SkipReason: String, Sendable, CaseIterable {
        case maxErrorsReached = "max_errors_reached"
        case paused = "paused"
        case maxClosesReached = "max_closes_reached"
        /// The user's symbol was already closed in this tick.
        case symbolCooldownTick = "symbol_cooldown_tick"
        /// The user's symbol was closed within ``Policy/symbolCooldownSeconds``.
        case symbolCooldownWindow = "symbol_cooldown_window"
    }

    /// Where the tick stands when it reaches a candidate.
    public struct Progress: Sendable, Equatable {
        public var closed = 0
        public var errors = 0

        public init(closed: Int = 0, errors: Int = 0) {
            self.closed = closed
            self.errors = errors
        }
    }

    /// Whether the policy skips the next candidate: first the error budget, then (real closes
    /// only) the pause, the close budget and the symbol cooldowns.
    public static func skipReason(
        policy: Policy, dryRun: Bool, progress: Progress, symbolClosedThisTick: Bool, symbolClosedRecently: Bool
    ) -> SkipReason? {
        if progress.errors >= policy.maxErrorsPerTick { return .maxErrorsReached }
        guard !dryRun else { return nil }
        if policy.paused { return .paused }
        if policy.maxClosesPerTick > 0, progress.closed >= policy.maxClosesPerTick { return .maxClosesReached }
        if symbolClosedThisTick { return .symbolCooldownTick }
        if policy.symbolCooldownSeconds > 0, symbolClosedRecently { return .symbolCooldownWindow }
        return nil
    }

    /// How urgent an exit reason is: losses and event risk first, profits last.
    public static func priority(of reasons: [String]) -> Int {
        let ranks = [
            "stop_loss_hit": 0, "event_risk_exit": 1, "time_limit_reached": 2, "trend_break": 3, "signal_reverse": 4,
            "take_profit_hit": 5,
        ]
        return reasons.map { ranks[$0] ?? 99 }.min() ?? 99
    }

    /// The order candidates are closed in: most urgent reason first, then the longest open, then
    /// as given.
    public static func order<T>(_ candidates: [T], reasons: (T) -> [String], openedMinutes: (T) -> Double) -> [T] {
        candidates.enumerated().sorted { lhs, rhs in
            let left = priority(of: reasons(lhs.element))
            let right = priority(of: reasons(rhs.element))
            if left != right { return left < right }
            let leftOpen = openedMinutes(lhs.element)
            let rightOpen = openedMinutes(rhs.element)
            if leftOpen != rightOpen { return leftOpen > rightOpen }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
