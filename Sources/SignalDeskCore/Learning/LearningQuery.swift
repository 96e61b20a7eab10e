import Foundation

/// The learning endpoints' query rules (issue 25, group 13), with crypto-saas's ranges and
/// messages: an out-of-range number or an unknown choice is a 400 whose detail says what is allowed.
public enum LearningQuery {
    public struct Refusal: Error, Equatable, Sendable {
        public let message: String

        public init(message: String) {
            self.message = message
        }
    }

    /// Labeling: `horizon_minutes` 5..10080 (a week), `limit` 1..5000.
    public static let horizonMinutes = 5...10_080
    public static let labelLimit = 1...5000
    /// Windows: `hours` 1..720 (30 days) for the dataset, the report and the rollup refresh.
    public static let hours = 1...720
    /// Rows: `limit` 1..5000 for the dataset and the report.
    public static let rowLimit = 1...5000

    /// `value` when it lies in `range`, else "`name` must be between `lower` and `upper`".
    public static func inRange(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws(Refusal) -> Int {
        guard range.contains(value) else {
            throw Refusal(message: "\(name) must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// The exchange filter: `ALL` or one exchange, any case.
    public enum ExchangeFilter: Sendable, Equatable {
        case all
        case only(Exchange)

        public static let choices = ["ALL"] + Exchange.allCases.map(\.rawValue).sorted()

        public init(parsing text: String?) throws(Refusal) {
            let word = (text ?? "ALL").trimmingCharacters(in: .whitespaces).uppercased()
            if word == "ALL" {
                self = .all
            } else if let exchange = Exchange(rawValue: word) {
                self = .only(exchange)
            } else {
                throw Refusal(message: "exchange must be one of: \(Self.choices.joined(separator: ", "))")
            }
        }

        public var name: String {
            switch self {
            case .all: "ALL"
            case .only(let exchange): exchange.rawValue
            }
        }
    }

    /// The outcome filter: `ALL` or one status, any case (`NO_PRICE` for `no_price`).
    public enum StatusFilter: Sendable, Equatable {
        case all
        case only(LearningOutcome.Status)

        public static let choices = ["ALL"] + LearningOutcome.Status.allCases.map { $0.rawValue.uppercased() }.sorted()

        public init(parsing text: String?) throws(Refusal) {
            let word = (text ?? "ALL").trimmingCharacters(in: .whitespaces).uppercased()
            if word == "ALL" {
                self = .all
            } else if let status = LearningOutcome.Status(rawValue: word.lowercased()) {
                self = .only(status)
            } else {
                throw Refusal(message: "outcome_status must be one of: \(Self.choices.joined(separator: ", "))")
            }
        }
    }
}
