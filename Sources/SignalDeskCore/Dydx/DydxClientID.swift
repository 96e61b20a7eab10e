import Crypto

/// The dYdX client id (a `fixed32` in `OrderId`) of one of SignalDesk's orders, derived from its
/// client order id (itself derived from the signal id), so a retry names the same order and the
/// indexer can be asked about it before anything is sent again.
public enum DydxClientID {
    /// The role of an order within one signal's trade.
    public enum Role: String, Sendable, CaseIterable {
        case entry, takeProfit = "tp", stopLoss = "sl"
    }

    /// The first four bytes, big-endian, of SHA-256(`clientOrderID` or `clientOrderID:role`).
    public static func of(_ clientOrderID: String, role: Role = .entry) -> UInt32 {
        let text = role == .entry ? clientOrderID : clientOrderID + ":" + role.rawValue
        let digest = Array(SHA256.hash(data: Array(text.utf8)))
        return digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
