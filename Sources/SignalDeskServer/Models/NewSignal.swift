import Fluent
import Foundation
import SignalDeskCore

/// A signal being created, as a plain Sendable value: what the two paths that create a signal per
/// request (webhook alerts, `POST /signals`) build and store, without a Fluent model (creating one
/// allocates a property wrapper per field and reflects over them). A new signal is always
/// `CREATED`, with no reason codes, no lease, and `updated_at` = `created_at`.
struct NewSignal: Sendable {
    var id = UUID()
    var userID: UUID
    var symbol: String
    var module: String
    var side: TradeSide
    var exchange: Exchange
    var source: SignalSource
    var orderType = SignalOrderType.market
    var action = SignalAction.open
    var baseRiskPercent: Double? = nil
    var entryPrice: Double? = nil
    var stopLoss: Double? = nil
    var takeProfit: Double? = nil
    var qty: Double? = nil
    var webhookID: UUID? = nil
    var alertID: String? = nil
    var bodyHash: String? = nil
    var createdAt: Date

    static let status = SignalStatus.created
    static let reasonCodesJSON = "[]"

    /// One value of a new signal, typed as the column that stores it.
    enum Value: Sendable {
        case uuid(UUID?)
        case text(String?)
        case double(Double?)
        case date(Date)
    }

    /// The SQL literal of a column whose value is the same for every new signal (written into the
    /// statement, not bound); nil for the columns ``values`` binds.
    static func fixedSQL(_ column: SignalColumn) -> String? {
        switch column {
        case .status: "'\(status.rawValue)'"
        case .reasonCodes: "'\(reasonCodesJSON)'"
        case .leaseCount: "0"
        case .leasedUntil: "NULL"
        default: nil
        }
    }

    /// Every column, in the order of the inserts.
    static let columns = SignalColumn.allCases

    /// The columns whose values are bound, in the order of ``values``.
    static let boundColumns = columns.filter { fixedSQL($0) == nil }

    /// The value of each of ``boundColumns``, in order.
    var values: [Value] {
        Self.boundColumns.map { column in
            switch column {
            case .id: .uuid(id)
            case .userID: .uuid(userID)
            case .symbol: .text(symbol)
            case .module: .text(module)
            case .side: .text(side.rawValue)
            case .exchange: .text(exchange.rawValue)
            case .source: .text(source.rawValue)
            case .orderType: .text(orderType.rawValue)
            case .action: .text(action.rawValue)
            case .baseRiskPercent: .double(baseRiskPercent)
            case .entryPrice: .double(entryPrice)
            case .stopLoss: .double(stopLoss)
            case .takeProfit: .double(takeProfit)
            case .qty: .double(qty)
            case .webhookID: .uuid(webhookID)
            case .alertID: .text(alertID)
            case .bodyHash: .text(bodyHash)
            case .createdAt, .updatedAt: .date(createdAt)
            case .status, .reasonCodes, .leaseCount, .leasedUntil:
                preconditionFailure("\(column.rawValue) is written as SQL (fixedSQL), not bound")
            }
        }
    }
}
