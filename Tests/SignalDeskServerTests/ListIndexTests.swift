import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import SignalDeskServer

/// `GET /signals` pages in the order of `idx_signals_user_created` (`AddSignalListIndex`), so a page
/// costs the same whatever the user's history: the plan of the list's statement reads that index on
/// both databases instead of reading and sorting all of the user's signals.
@Suite struct ListIndexTests {
    @Test(arguments: TestDatabase.all)
    func theSignalListReadsItsIndexInOrder(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let statement = SignalReadStore.listStatement(
                userID: UUID(), status: nil, cursor: nil, direction: .older, limit: 100)
            let query = SQLQueryString(numbered: statement.sql, binds: [UUID(), 101])
            let plan: [String]
            switch database {
            case .postgres:
                plan = try await app.db.transaction { tx in
                    let sql = try tx.sql(for: "test")
                    try await sql.raw("SET LOCAL enable_seqscan = off").run()
                    return try await sql.raw("EXPLAIN " + query).all().map {
                        try $0.decode(column: "QUERY PLAN", as: String.self)
                    }
                }
            case .sqlite:
                plan = try await app.db.sql(for: "test").raw("EXPLAIN QUERY PLAN " + query).all().map {
                    try $0.decode(column: "detail", as: String.self)
                }
            }
            let text = plan.joined(separator: "\n")
            #expect(text.contains("idx_signals_user_created"), "\(text)")
            #expect(!text.contains("Sort") && !text.contains("TEMP B-TREE"), "\(text)")
        }
    }
}
