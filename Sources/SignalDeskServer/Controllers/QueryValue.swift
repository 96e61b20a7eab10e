import Foundation
import SignalDeskCore
import Vapor

/// Query-string numbers: present, finite and in range, else a 422 naming the parameter.
enum QueryValue {
    static func double(_ req: Request, _ name: String, default fallback: Double? = nil, allowZero: Bool = false) throws
        -> Double
    {
        let raw = req.query[String.self, at: name]
        guard let raw else {
            if let fallback { return fallback }
            throw APIError(
                .unprocessableEntity, items: [.init(loc: ["query", name], msg: "Field required", type: "missing")])
        }
        guard let value = Double(raw), value.isFinite, allowZero ? value >= 0 : value > 0 else {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(
                        loc: ["query", name],
                        msg: "\(name) must be a \(allowZero ? "non-negative" : "positive") finite number",
                        type: "value_error")
                ])
        }
        return value
    }

    static func int(_ req: Request, _ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = req.query[String.self, at: name] else { return fallback }
        guard let value = Int(raw), range.contains(value) else {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(
                        loc: ["query", name],
                        msg: "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)",
                        type: "value_error")
                ])
        }
        return value
    }

    static func uuid(_ req: Request, _ name: String) throws -> UUID {
        guard let raw = req.query[String.self, at: name] else {
            throw APIError(
                .unprocessableEntity, items: [.init(loc: ["query", name], msg: "Field required", type: "missing")])
        }
        guard let value = UUID(uuidString: raw) else {
            throw APIError(
                .unprocessableEntity,
                items: [.init(loc: ["query", name], msg: "\(name) must be a UUID", type: "uuid_parsing")])
        }
        return value
    }

    static func bool(_ req: Request, _ name: String, default fallback: Bool) throws -> Bool {
        guard let raw = req.query[String.self, at: name] else { return fallback }
        switch raw.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default:
            throw APIError(
                .unprocessableEntity,
                items: [.init(loc: ["query", name], msg: "\(name) must be true or false", type: "bool_parsing")])
        }
    }
}
