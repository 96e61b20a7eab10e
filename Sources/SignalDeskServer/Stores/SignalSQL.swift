import SQLKit
import SignalDeskCore

/// The signal lifecycle in SQL text, taken from Core's ``SignalStatus`` and ``SignalSource``
/// rather than written again: a status is a quoted literal of its raw value (the SQL text stays
/// what it was, so plans and prepared statements are unchanged), and "a signal the worker runs"
/// is one predicate, used by the worker's claim and by the PostgreSQL trigger that wakes it.
enum SignalSQL {
    /// `'CREATED'`: the raw values are fixed upper-case words, safe as literals.
    static func literal(_ status: SignalStatus) -> SQLQueryString {
        "\(unsafeRaw: text([status]))"
    }

    /// `'CREATED', 'EXECUTING'`.
    static func list(_ statuses: [SignalStatus]) -> SQLQueryString {
        "\(unsafeRaw: text(statuses))"
    }

    /// The text of ``literal(_:)`` and ``list(_:)``.
    static func text(_ statuses: [SignalStatus]) -> String {
        statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }

    /// The signals the execution worker runs: every source but the client-driven one, with
    /// `column` naming the source column (`source`, or `NEW.source` in a trigger).
    static func executedByWorker(column: String = "source") -> String {
        let clientDriven = SignalSource.allCases.filter { !$0.isExecutedByWorker }.map { "'\($0.rawValue)'" }
        return clientDriven.count == 1
            ? "\(column) <> \(clientDriven[0])" : "\(column) NOT IN (\(clientDriven.joined(separator: ", ")))"
    }
}
