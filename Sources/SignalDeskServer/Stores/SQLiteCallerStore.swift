import Fluent
import Foundation
import SQLKit

/// ``CallerStore`` on SQLite: ``CallerRow/lookupSQL`` through SQLKit.
struct SQLiteCallerStore: CallerStore {
    func caller(userID: UUID, family: UUID, now: Date, on db: any Database) async throws -> CallerRow? {
        // Plain SQL decoded as Codable: a Fluent join of two models cost reflection over every
        // field of both on every authenticated request.
        try await db.sql(for: "SQLiteCallerStore").raw(
            SQLQueryString(numbered: CallerRow.lookupSQL, binds: [userID, family, now])
        ).first(decoding: CallerRow.self)
    }
}
