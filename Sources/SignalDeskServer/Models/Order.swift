import Fluent
import Foundation
import SignalDeskCore

/// An order sent (or about to be sent) to a venue. Written `PENDING` before the call, so a
/// worker that dies mid-call leaves a trace the next attempt resolves by querying the venue.
final class Order: Model, @unchecked Sendable {
    static let schema = "orders"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @OptionalParent(key: "signal_id") var signal: Signal?
    @OptionalParent(key: "position_id") var position: Position?
    @Field(key: "venue") var venue: String
    @Field(key: "client_order_id") var clientOrderID: String
    @OptionalField(key: "venue_order_id") var venueOrderID: String?
    @Field(key: "symbol") var symbol: String
    @Field(key: "side") var side: String
    @Field(key: "qty") var qty: Double
    @OptionalField(key: "price") var price: Double?
    /// `PENDING`, `FILLED`, `NEW`, `REJECTED`, `UNKNOWN`, ...
    @Field(key: "status") var status: String
    @OptionalField(key: "filled_qty") var filledQty: Double?
    @OptionalField(key: "average_price") var averagePrice: Double?
    @OptionalField(key: "error") var error: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}
