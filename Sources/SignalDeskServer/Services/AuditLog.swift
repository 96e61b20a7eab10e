import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// A value in audit details: JSON scalars only.
enum AuditValue: Encodable, Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByFloatLiteral
{
    case string(String), int(Int), double(Double), bool(Bool), null

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(floatLiteral value: Double) { self = .double(value) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}

/// The single writer of audit rows.
///
/// Details are a flat JSON object of scalars. Keys that name a secret (passwords, secrets, tokens,
/// OTPs, API keys) are redacted here, whatever a caller passes, so a mistake upstream cannot put a
/// secret into the log.
enum AuditLog {
    static func record(
        _ action: AuditAction,
        userID: UUID?,
        entityType: String? = nil,
        entityID: String? = nil,
        details: [String: AuditValue]? = nil,
        on db: any Database,
        at date: Date = Date()
    ) async throws {
        try await AuditStore.insert(
            action: action.rawValue, userID: userID, entityType: entityType, entityID: entityID,
            detailsJSON: try details.map(detailsJSON), at: date, on: db)
    }

    /// Several rows written at `date`, in one statement.
    static func recordMany(
        _ rows: [(
            action: AuditAction, userID: UUID?, entityType: String?, entityID: String?,
            details: [String: AuditValue]?
        )],
        on db: any Database, at date: Date
    ) async throws {
        try await AuditStore.insertMany(
            try rows.map {
                AuditStore.Row(
                    action: $0.action.rawValue, userID: $0.userID, entityType: $0.entityType, entityID: $0.entityID,
                    detailsJSON: try $0.details.map(detailsJSON))
            }, at: date, on: db)
    }

    static func sanitized(_ details: [String: AuditValue]) -> [String: AuditValue] {
        details.reduce(into: [:]) { result, pair in
            result[pair.key] = SecretFieldName.isSecret(pair.key) ? .string("[redacted]") : pair.value
        }
    }

    /// The stored form of details: sanitized, sorted keys. For writers that insert audit rows in
    /// their own statement (the webhook accept path on PostgreSQL).
    /// Written with ``JSONWriter``: the same text as `JSONEncoder` with `.sortedKeys` and
    /// `.withoutEscapingSlashes` (compared by `JSONWriterTests`), without creating an encoder and
    /// going through `Codable` for every audited request.
    static func detailsJSON(_ details: [String: AuditValue]) throws -> String {
        var json = JSONWriter(capacity: 128, escapesSlashes: false)
        json.beginObject()
        for (key, value) in sanitized(details).sorted(by: { $0.key < $1.key }) {
            switch value {
            case .string(let text): json.field(key, text)
            case .int(let number): json.field(key, number)
            case .double(let number): try json.field(key, number)
            case .bool(let flag): json.field(key, flag)
            case .null: json.nullField(key)
            }
        }
        json.endObject()
        return String(decoding: json.bytes, as: UTF8.self)
    }
}
