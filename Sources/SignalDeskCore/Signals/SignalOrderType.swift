/// How a signal asks to be filled, as stored in `signals.order_type` and sent in alerts
/// (`order_type`/`type`: `market` or `limit`).
public enum SignalOrderType: String, Sendable, CaseIterable, Codable {
    case market
    case limit
}
