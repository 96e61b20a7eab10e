import Foundation

/// Auto-pick (issue 25, group 2): the best passing candidate of a pretrade scan, picked for a
/// test order (or only named, in a dry run), and how its outcomes are reported.
public enum AutoPick {
    /// Which sides a pick may take: `LONG` only buys, `SHORT` only sells, `BOTH` (the default)
    /// takes either.
    public enum Direction: String, Sendable, CaseIterable, Codable {
        case long = "LONG"
        case short = "SHORT"
        case both = "BOTH"

        public init?(parsing text: String) {
            switch text.trimmingCharacters(in: .whitespaces).uppercased() {
            case "LONG", "BUY": self = .long
            case "SHORT", "SELL": self = .short
            case "BOTH", "ANY": self = .both
            default: return nil
            }
        }

        public func admits(_ side: TradeSide) -> Bool {
            switch self {
            case .long: side == .long
            case .short: side == .short
            case .both: true
            }
        }
    }

    /// What an auto-pick did; the strings are crypto-saas's.
    public enum Decision: String, Sendable, CaseIterable, Codable {
        case dryRunSelected = "dry_run_selected"
        case executedTestOrder = "executed_test_order"
        case noCandidatePassed = "no_candidate_passed"
        case executionError = "insufficient_resources_or_execution_error"

        /// `execution_status` of the answer.
        public var executionStatus: String {
            switch self {
            case .dryRunSelected: "dry_run"
            case .executedTestOrder: "executed"
            case .noCandidatePassed: "not_executed"
            case .executionError: "failed"
            }
        }

        /// Whether an order was placed (the report's `bought`).
        public var bought: Bool { self == .executedTestOrder }
    }

    /// The index of the candidate to pick in `ranked` (already ordered, passing first): the first
    /// that passed. Nil when none did.
    public static func pick(passed: [Bool]) -> Int? {
        passed.firstIndex(of: true)
    }

    /// The report's `reason`: the decision, or for a pick that selected nothing the first three
    /// failed checks of the best candidate (`no_compra: ...`, crypto-saas's wording, which its
    /// operators read).
    public static func reason(decision: String, selected: Bool, topFailedChecks: [String]) -> String {
        guard !selected else { return decision }
        guard !topFailedChecks.isEmpty else { return "no_compra: sin candidato aprobado" }
        return "no_compra: " + topFailedChecks.prefix(3).joined(separator: ", ")
    }

    /// The start of the `intervalMinutes` bucket holding `date`, counted from the epoch in UTC
    /// (for an interval dividing an hour, the same as counting from the hour).
    public static func bucket(_ date: Date, intervalMinutes: Int) -> Date {
        let width = Double(max(1, intervalMinutes) * 60)
        return Date(timeIntervalSince1970: (date.timeIntervalSince1970 / width).rounded(.down) * width)
    }
}
