/// Entry, stop and take of a signal, validated: positive finite prices, stop and take on the
/// correct sides of the entry for the (given or inferred) side.
public struct SignalLevels: Sendable, Equatable {
    public let side: TradeSide
    public let entry: Double
    public let stop: Double
    public let take: Double

    public enum Problem: Error, Equatable, Sendable {
        case notPositiveFinite(field: String)
        case stopEqualsEntry
        case wrongSide(field: String, side: TradeSide)

        public var message: String {
            switch self {
            case .notPositiveFinite(let field): "\(field) must be a positive finite number"
            case .stopEqualsEntry: "stop_loss must differ from entry_price"
            case .wrongSide(let field, let side):
                field == "stop_loss"
                    ? "stop_loss must be \(side == .long ? "below" : "above") entry_price for a \(side.rawValue) signal"
                    : "take_profit must be \(side == .long ? "above" : "below") entry_price for a \(side.rawValue) signal"
            }
        }

        public var field: String {
            switch self {
            case .notPositiveFinite(let field), .wrongSide(let field, _): field
            case .stopEqualsEntry: "stop_loss"
            }
        }
    }

    public static func validate(entry: Double, stop: Double, take: Double, side: TradeSide?) -> Result<
        SignalLevels, Problem
    > {
        for (name, value) in [("entry_price", entry), ("stop_loss", stop), ("take_profit", take)]
        where !(value.isFinite && value > 0) {
            return .failure(.notPositiveFinite(field: name))
        }
        guard let side = side ?? TradeSide.inferred(entry: entry, stop: stop) else { return .failure(.stopEqualsEntry) }
        switch side {
        case .long:
            guard stop < entry else { return .failure(.wrongSide(field: "stop_loss", side: side)) }
            guard take > entry else { return .failure(.wrongSide(field: "take_profit", side: side)) }
        case .short:
            guard stop > entry else { return .failure(.wrongSide(field: "stop_loss", side: side)) }
            guard take < entry else { return .failure(.wrongSide(field: "take_profit", side: side)) }
        }
        return .success(SignalLevels(side: side, entry: entry, stop: stop, take: take))
    }
}
