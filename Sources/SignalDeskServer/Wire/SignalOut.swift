import Foundation
import SignalDeskCore
import Vapor

/// `SignalOut` of contract.md.
struct SignalOut: Content {
    let id: UUID
    let userId: UUID
    let symbol: String
    let module: String
    let side: TradeSide
    let exchange: String
    let source: SignalSource
    @NullEncodable var baseRiskPercent: Double?
    @NullEncodable var entryPrice: Double?
    @NullEncodable var stopLoss: Double?
    @NullEncodable var takeProfit: Double?
    let status: SignalStatus
    let reasonCodes: [String]
    let createdAt: Date
    let updatedAt: Date

    /// The one place that lists the fields; the other initialisers go through it.
    init(
        id: UUID, userId: UUID, symbol: String, module: String, side: TradeSide, exchange: String, source: SignalSource,
        baseRiskPercent: Double?, entryPrice: Double?, stopLoss: Double?, takeProfit: Double?, status: SignalStatus,
        reasonCodes: [String], createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.userId = userId
        self.symbol = symbol
        self.module = module
        self.side = side
        self.exchange = exchange
        self.source = source
        self.baseRiskPercent = baseRiskPercent
        self.entryPrice = entryPrice
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
        self.status = status
        self.reasonCodes = reasonCodes
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// A row of a list (``SignalReadStore``) as a `SignalOut` object, keys in sorted order (as
    /// ``JSONCoding`` writes them), without `Codable`: `PagingTests` checks it against `JSONEncoder`
    /// byte for byte.
    static func write(_ row: SignalRow, to list: inout SignalListJSON) throws {
        list.json.beginObject()
        try list.json.field("base_risk_percent", row.baseRiskPercent)
        list.json.field("created_at", row.createdAt)
        try list.json.field("entry_price", row.entryPrice)
        list.json.field("exchange", WireText.string(row.exchange))
        list.json.field("id", row.id)
        list.json.field("module", WireText.string(row.module))
        list.reasonCodesField(row.reasonCodesJSON)
        list.json.field("side", WireText.string(row.side))
        list.json.field("source", WireText.string(row.source))
        list.json.field("status", WireText.string(row.status))
        try list.json.field("stop_loss", row.stopLoss)
        list.json.field("symbol", WireText.string(row.symbol))
        try list.json.field("take_profit", row.takeProfit)
        list.json.field("updated_at", row.updatedAt)
        list.json.field("user_id", row.userId)
        list.json.endObject()
    }

    init(_ signal: Signal) throws {
        self.init(
            id: try signal.requireID(), userId: signal.$user.id, symbol: signal.symbol, module: signal.module,
            side: signal.side, exchange: signal.exchange, source: signal.source,
            baseRiskPercent: signal.baseRiskPercent, entryPrice: signal.entryPrice, stopLoss: signal.stopLoss,
            takeProfit: signal.takeProfit, status: signal.status, reasonCodes: signal.reasonCodes,
            createdAt: signal.createdAt, updatedAt: signal.updatedAt)
    }

    /// A signal just created: `CREATED`, no reason codes, `updated_at` = `created_at`.
    init(_ signal: NewSignal) {
        self.init(
            id: signal.id, userId: signal.userID, symbol: signal.symbol, module: signal.module, side: signal.side,
            exchange: signal.exchange.rawValue, source: signal.source, baseRiskPercent: signal.baseRiskPercent,
            entryPrice: signal.entryPrice, stopLoss: signal.stopLoss, takeProfit: signal.takeProfit,
            status: NewSignal.status, reasonCodes: [], createdAt: signal.createdAt, updatedAt: signal.createdAt)
    }
}

/// `[SignalOut]` as ``JSONWriter`` writes it, with each row's `reason_codes` array spliced in:
/// ``JSONWriter`` writes fields of scalars only, so each row gets a placeholder (`""`) that
/// ``bytes`` replaces with the array's text.
struct SignalListJSON {
    var json: JSONWriter
    /// Where each placeholder sits in `json`, and the text that replaces it.
    private var splices: [(offset: Int, text: [UInt8])] = []
    private var splicedBytes = 0

    init(rows: Int) {
        json = JSONWriter(capacity: 400 * rows + 2)
        splices.reserveCapacity(rows)
        json.beginArray()
    }

    /// `"reason_codes":` and the wire's text of the stored list (``reasonCodes(_:)``), as the
    /// next field of the object being written.
    mutating func reasonCodesField(_ stored: String) {
        json.field("reason_codes", "")
        let text = Self.reasonCodes(stored)
        splices.append((json.bytes.count - 2, text))
        splicedBytes += text.count
    }

    /// The finished array.
    mutating func bytes() -> [UInt8] {
        json.endArray()
        let written = json.bytes
        var bytes: [UInt8] = []
        bytes.reserveCapacity(written.count + splicedBytes)
        var from = 0
        for splice in splices {
            bytes.append(contentsOf: written[from..<splice.offset])
            bytes.append(contentsOf: splice.text)
            from = splice.offset + 2
        }
        bytes.append(contentsOf: written[from...])
        return bytes
    }

    /// The wire's text for a signal's stored reason codes (a JSON list of strings): what
    /// `JSONCoding.encode` writes for `Signal.reasonCodes`. Stored texts that are already that text
    /// (compact, no escapes: `[]` and nearly every other) are copied; the others are decoded and
    /// encoded again, as the model did (text that is not a list of strings reads as `[]`).
    static func reasonCodes(_ stored: String) -> [UInt8] {
        if stored == "[]" { return emptyList }
        var bytes = Array(stored.utf8)
        if isPlainList(bytes) {
            LowercaseUUIDs.apply(&bytes)
            return bytes
        }
        let codes = (try? JSONDecoder().decode([String].self, from: Data(bytes))) ?? []
        return (try? JSONCoding.encode(codes)) ?? Array("[]".utf8)
    }

    private static let emptyList = Array("[]".utf8)

    /// `[]`, or `["a","b"]` with no space and no byte in a string that `JSONEncoder` would
    /// escape or that is not plain ASCII text.
    private static func isPlainList(_ bytes: [UInt8]) -> Bool {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), open = UInt8(ascii: "["), close = UInt8(ascii: "]")
        guard bytes.count >= 2, bytes.first == open, bytes.last == close else { return false }
        if bytes.count == 2 { return true }
        var index = 1
        let end = bytes.count - 1
        while true {
            guard index < end, bytes[index] == quote else { return false }
            index += 1
            while index < end, bytes[index] != quote {
                let byte = bytes[index]
                guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return false }
                index += 1
            }
            guard index < end else { return false }
            index += 1
            if index == end { return true }
            guard bytes[index] == comma else { return false }
            index += 1
        }
    }
}

/// Strings as the wire writes them: ``JSONCoding`` lowers every JSON string whose whole text is a
/// UUID (``LowercaseUUIDs``), so a list written by ``JSONWriter`` does the same.
enum WireText {
    static func string(_ text: String) -> String {
        guard text.utf8.count == 36 else { return text }
        var bytes = [UInt8(ascii: "\"")] + Array(text.utf8) + [UInt8(ascii: "\"")]
        LowercaseUUIDs.apply(&bytes)
        return String(decoding: bytes.dropFirst().dropLast(), as: UTF8.self)
    }

    static func string(_ text: String?) -> String? {
        text.map(string)
    }
}
