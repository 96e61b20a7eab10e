import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// Cursor paging of `GET /signals` and the audit lists (docs/paging.md), and their answers
/// written by `JSONWriter` byte for byte as `JSONEncoder` wrote them before.
@Suite struct PagingTests {
    /// One page: its rows' ids, and the next page's path and cursor when there is one.
    struct Page {
        let ids: [String]
        let rows: [[String: Any]]
        let next: String?
        let cursor: String?
    }

    static func page(_ client: Client, _ path: String, token: String) async throws -> Page {
        let response = try await client.send(.GET, path, token: token)
        guard response.status == .ok else {
            throw TestFailure("GET \(path): \(response.status) \(response.body.string)")
        }
        let rows = try #require(
            try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
        let ids = rows.map { row in (row["id"] as? String) ?? (row["id"] as? Int).map(String.init) ?? "?" }
        var next: String?
        if let link = response.headers.first(name: "Link") {
            // `<path?query>; rel="next"`
            let target = try #require(link.split(separator: ">").first?.dropFirst())
            #expect(link.hasSuffix(#"; rel="next""#), "\(link)")
            next = String(target.drop(while: { $0 == "/" }))
        }
        let cursor = response.headers.first(name: "X-Next-Cursor")
        #expect((next == nil) == (cursor == nil), "Link and X-Next-Cursor come together")
        return Page(ids: ids, rows: rows, next: next, cursor: cursor)
    }

    /// Follows `next` links from `path` to the end; every page but the last is full.
    static func walk(_ client: Client, _ path: String, token: String, limit: Int) async throws -> [Page] {
        var pages: [Page] = []
        var path: String? = path
        while let current = path {
            let page = try await page(client, current, token: token)
            pages.append(page)
            if page.next != nil { #expect(page.ids.count == limit, "a page with a next link is full") }
            path = page.next
            if pages.count > 100 { throw TestFailure("the walk does not end") }
        }
        return pages
    }

    /// `count` signals of `userID`'s, three to a `created_at` (the list must order ties by id),
    /// at times with microseconds (PostgreSQL keeps them; a cursor must not lose them).
    static func seedSignals(
        _ app: Application, userID: UUID, count: Int, start: Double, statuses: [SignalStatus] = [.created]
    ) async throws {
        try await app.db.transaction { db in
            for index in 0..<count {
                let signal = Signal.webhookRow(userID: userID, status: statuses[index % statuses.count]) { signal in
                    signal.createdAt = Date(timeIntervalSince1970: start + Double(index / 3) * 60 + 0.123_456)
                    signal.updatedAt = signal.createdAt
                    signal.symbol = "S\(index)"
                }
                try await signal.create(on: db)
            }
        }
    }

    /// The user's signal ids in the list's order, newest first, as the Fluent query before paging
    /// answered them.
    static func expectedSignals(_ app: Application, userID: UUID, status: SignalStatus? = nil) async throws
        -> [String]
    {
        var query = Signal.query(on: app.db).filter(\.$user.$id == userID)
        if let status { query = query.filter(\.$status == status) }
        return try await query.sort(\.$createdAt, .descending).sort(\.$id, .descending).all()
            .map { try $0.requireID().uuidString.lowercased() }
    }

    @Test(arguments: TestDatabase.all)
    func walkingTheSignalPagesReturnsEveryRowOnceInOrder(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (ana, _) = try await client.signIn("ana@trading.co")
            _ = try await client.signIn("bo@trading.co")
            let anaID = try await client.userID("ana@trading.co")
            let boID = try await client.userID("bo@trading.co")
            // bo's signals interleave with ana's in time.
            try await Self.seedSignals(app, userID: anaID, count: 23, start: 1_790_000_000)
            try await Self.seedSignals(app, userID: boID, count: 10, start: 1_790_000_030)
            let expected = try await Self.expectedSignals(app, userID: anaID)
            #expect(expected.count == 23)

            // Older and older: `before`, from the newest.
            let pages = try await Self.walk(client, "signals?limit=5", token: ana, limit: 5)
            #expect(pages.map(\.ids.count) == [5, 5, 5, 5, 3])
            #expect(pages.flatMap(\.ids) == expected)
            for page in pages.dropLast() {
                #expect(page.cursor == page.ids.last)
                #expect(page.next == "signals?limit=5&before=\(page.cursor ?? "")")
            }
            #expect(pages.last?.next == nil)
            // Without paging parameters the answer is what it was: the newest 100, no link.
            let whole = try await Self.page(client, "signals", token: ana)
            #expect(whole.ids == expected && whole.next == nil)
            // A page that ends exactly at the last row has no next link.
            #expect(try await Self.page(client, "signals?limit=23", token: ana).next == nil)

            // Newer and newer: `after` the oldest; each page newest first, nearest the cursor.
            let oldest = try #require(expected.last)
            let newer = try await Self.walk(client, "signals?after=\(oldest)&limit=5", token: ana, limit: 5)
            #expect(newer.map(\.ids.count) == [5, 5, 5, 5, 2])
            #expect(newer.reversed().flatMap(\.ids) == Array(expected.dropLast()))
            #expect(newer.first?.next == "signals?limit=5&after=\(newer.first?.ids.first ?? "")")
            // Up to date: nothing newer than the newest.
            let none = try await Self.page(client, "signals?after=\(expected[0])", token: ana)
            #expect(none.ids.isEmpty && none.next == nil)

            // A time (here between two groups of ties): rows strictly older, or strictly newer.
            let middle = Date(timeIntervalSince1970: 1_790_000_000 + 4 * 60 + 0.123_456)
            let stamp = ISO8601DateFormatter().string(from: middle.addingTimeInterval(-0.123_456))
            let olderThan = try await Self.walk(client, "signals?before=\(stamp)&limit=4", token: ana, limit: 4)
            #expect(olderThan.flatMap(\.ids) == Array(expected.suffix(12)))
            let newerThan = try await Self.page(client, "signals?after=\(stamp)&limit=100", token: ana)
            #expect(newerThan.ids == Array(expected.prefix(11)))
        }
    }

    @Test(arguments: TestDatabase.all)
    func aCursorFromAnotherUsersSignalsReadsNothing(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (ana, _) = try await client.signIn("ana@trading.co")
            let (bo, _) = try await client.signIn("bo@trading.co")
            let anaID = try await client.userID("ana@trading.co")
            let boID = try await client.userID("bo@trading.co")
            try await Self.seedSignals(app, userID: anaID, count: 6, start: 1_790_000_000)
            try await Self.seedSignals(app, userID: boID, count: 6, start: 1_790_000_000)
            let boSignals = try await Self.expectedSignals(app, userID: boID)
            let anaSignals = try await Self.expectedSignals(app, userID: anaID)
            // bo's id as ana's cursor, either way: refused as unknown, and none of bo's rows read.
            for path in ["signals?before=\(boSignals[0])", "signals?after=\(boSignals[5])&limit=2"] {
                let response = try await client.send(.GET, path, token: ana)
                #expect(response.status == .unprocessableEntity, "\(path)")
                #expect(!boSignals.contains { response.body.string.contains($0) })
                let name = path.contains("after") ? "after" : "before"
                #expect(
                    response.body.string
                        == #"{"detail":[{"loc":["query","\#(name)"],"msg":"\#(name) is not one of your signals","type":"value_error"}]}"#
                )
            }
            // An id nobody has reads the same.
            let unknown = try await client.send(.GET, "signals?before=\(UUID().uuidString)", token: ana)
            #expect(
                unknown.status == .unprocessableEntity && unknown.body.string.contains("is not one of your signals"))
            // Each sees only their own pages, from their own cursors (upper-case ids too).
            let anaPages = try await Self.walk(client, "signals?limit=4", token: ana, limit: 4)
            #expect(anaPages.flatMap(\.ids) == anaSignals)
            let boSecond = try await Self.page(client, "signals?before=\(boSignals[3].uppercased())", token: bo)
            #expect(boSecond.ids == Array(boSignals.suffix(2)))
        }
    }

    @Test(arguments: TestDatabase.all)
    func filtersCombineWithTheCursor(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (ana, _) = try await client.signIn("ana@trading.co")
            let anaID = try await client.userID("ana@trading.co")
            try await Self.seedSignals(
                app, userID: anaID, count: 20, start: 1_790_000_000,
                statuses: [.created, .rejected, .rejected, .failed])
            let rejected = try await Self.expectedSignals(app, userID: anaID, status: .rejected)
            let all = try await Self.expectedSignals(app, userID: anaID)
            #expect(rejected.count == 10)
            let pages = try await Self.walk(client, "signals?status=rejected&limit=3", token: ana, limit: 3)
            #expect(pages.flatMap(\.ids) == rejected)
            #expect(pages.flatMap(\.rows).allSatisfy { $0["status"] as? String == "REJECTED" })
            #expect(pages.first?.next == "signals?status=rejected&limit=3&before=\(rejected[2])")
            // The cursor may be a row the filter leaves out: the page starts after its place.
            let created = try await Self.expectedSignals(app, userID: anaID, status: .created)
            let cursor = created[1]
            let position = try #require(all.firstIndex(of: cursor))
            let after = try await Self.page(client, "signals?status=REJECTED&before=\(cursor)&limit=100", token: ana)
            #expect(after.ids == all[(position + 1)...].filter(rejected.contains))
            #expect(after.next == nil)
            // A bad status is still refused with a cursor.
            #expect(
                try await client.send(.GET, "signals?status=BOGUS&before=\(cursor)", token: ana).status
                    == .unprocessableEntity)
        }
    }

    @Test(arguments: TestDatabase.all)
    func badCursorsAreRefusedWith422(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (ana, _) = try await client.signIn("ana@trading.co")
            let (viewer, _) = try await client.signIn("vera@trading.co", role: .viewer)
            _ = try await client.createSignal(ana)
            let refusals: [(String, String, String)] = [
                (
                    "signals?before=yesterday", "before",
                    "before must be the id of one of your signals or an ISO-8601 time"
                ),
                ("signals?after=", "after", "after must be the id of one of your signals or an ISO-8601 time"),
                (
                    "signals?before=2026-13-45", "before",
                    "before must be the id of one of your signals or an ISO-8601 time"
                ),
                ("signals?before=\(UUID())&after=\(UUID())", "after", "give one of before, after, not several"),
                ("ops/audit/me?before=abc", "before", "before must be the id of an audit row (an integer from 1)"),
                ("ops/audit/me?after=0", "after", "after must be the id of an audit row (an integer from 1)"),
                ("ops/audit/me?after=-3", "after", "after must be the id of an audit row (an integer from 1)"),
                (
                    "ops/audit/all?before=1&before_id=2", "before_id",
                    "give one of before, before_id, after, not several"
                ),
                (
                    "ops/audit/all?before_id=x", "before_id",
                    "before_id must be the id of an audit row (an integer from 1)"
                ),
                (
                    "ops/audit/all?user_email=nobody@desk.io&after=x", "after",
                    "after must be the id of an audit row (an integer from 1)"
                ),
            ]
            for (path, name, message) in refusals {
                let token = path.hasPrefix("ops/audit/all") ? viewer : ana
                let response = try await client.send(.GET, path, token: token)
                #expect(response.status == .unprocessableEntity, "\(path)")
                #expect(
                    response.body.string
                        == #"{"detail":[{"loc":["query","\#(name)"],"msg":"\#(message)","type":"value_error"}]}"#,
                    "\(path)")
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func auditListsPageByIDForTheCallerOnly(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (ana, _) = try await client.signIn("ana@trading.co")
            _ = try await client.signIn("bo@trading.co")
            let (viewer, _) = try await client.signIn("vera@trading.co", role: .viewer)
            let anaID = try await client.userID("ana@trading.co")
            let boID = try await client.userID("bo@trading.co")
            for index in 0..<20 {
                try await AuditEntry(
                    userID: index % 2 == 0 ? anaID : boID, action: index % 4 < 2 ? "bench.paged" : "bench.other",
                    entityType: "bench", entityID: String(index), details: nil,
                    createdAt: Date(timeIntervalSince1970: 1_790_000_000)
                ).create(on: app.db)
            }
            let anaRows = try await AuditEntry.query(on: app.db).filter(\.$userID == anaID).sort(\.$id, .descending)
                .all().map { String(try $0.requireID()) }
            let mine = try await Self.walk(client, "ops/audit/me?limit=3", token: ana, limit: 3)
            #expect(mine.flatMap(\.ids) == anaRows)
            #expect(mine.first?.next == "ops/audit/me?limit=3&before=\(anaRows[2])")
            #expect(mine.flatMap(\.rows).allSatisfy { $0["user_id"] as? String == anaID.uuidString.lowercased() })
            // bo's row id as ana's cursor: a place in the log, never bo's rows.
            let boRow = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$userID == boID).sort(\.$id, .descending).first()?
                    .requireID())
            let fromBo = try await Self.page(client, "ops/audit/me?before=\(boRow)&limit=500", token: ana)
            #expect(fromBo.ids == anaRows.filter { Int($0)! < boRow })
            let newer = try await Self.walk(client, "ops/audit/me?after=\(anaRows.last!)&limit=4", token: ana, limit: 4)
            #expect(newer.reversed().flatMap(\.ids) == Array(anaRows.dropLast()))

            // The whole log with a filter, by `before` and by the older `before_id`.
            let paged = try await AuditEntry.query(on: app.db).filter(\.$action == "bench.paged")
                .sort(\.$id, .descending).all().map { String(try $0.requireID()) }
            let walked = try await Self.walk(client, "ops/audit/all?action=bench.p&limit=4", token: viewer, limit: 4)
            #expect(walked.flatMap(\.ids) == paged)
            let legacy = try await Self.page(
                client, "ops/audit/all?action=bench.p&limit=2&before_id=\(paged[1])", token: viewer)
            #expect(legacy.ids == Array(paged[2..<4]))
            #expect(legacy.next == "ops/audit/all?action=bench.p&limit=2&before=\(paged[3])")
            let bosPaged = try await Self.walk(
                client, "ops/audit/all?user_email=BO@trading.co&action=bench.&limit=3", token: viewer, limit: 3)
            #expect(bosPaged.flatMap(\.rows).allSatisfy { $0["user_id"] as? String == boID.uuidString.lowercased() })
            #expect(bosPaged.flatMap(\.ids).count == 10)
        }
    }

    /// The signal list is written by `JSONWriter`; it must be the text `JSONEncoder` (as every
    /// other answer's encoder is configured) wrote for the same `SignalOut` values, byte for byte:
    /// nulls, escapes, numbers, dates, upper-case UUID texts, and reason codes stored in any form.
    @Test(arguments: TestDatabase.all)
    func signalListIsWhatJSONEncoderWrites(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let owner = try await client.userID("ana@trading.co")
            let uuidText = UUID().uuidString
            let reasonTexts = [
                "[]", #"["max_open_positions"]"#, #"["a","b/c"]"#, #"["a", "b"]"#, "not json", #"[1,2]"#,
                ReasonCodes.encode(["venue: 400 /api/v3/order \"bad\"\n\t\u{1}", "é", "\u{2028}", uuidText, "\u{7F}"]),
                "[\"\(uuidText)\"]", " [\"x\"] ", "[\"\"]", "[\"a\",]",
            ]
            let values: [(Double?, Double?, Double?, Double?)] = [
                (0.5, 30_000.5, 29_700, 30_600), (nil, nil, nil, nil), (1e-7, 1e17, 0.000_000_123, -3.25),
                (100, 1, 2, 3),
            ]
            for (index, text) in reasonTexts.enumerated() {
                let (risk, entry, stop, take) = values[index % values.count]
                let signal = Signal.webhookRow(userID: owner, status: index % 2 == 0 ? .rejected : .created) { signal in
                    signal.baseRiskPercent = risk
                    signal.entryPrice = entry
                    signal.stopLoss = stop
                    signal.takeProfit = take
                    signal.reasonCodesJSON = text
                    signal.side = index % 2 == 0 ? .long : .short
                    signal.source = index % 3 == 0 ? .api : .hmac
                    signal.module = index == 1 ? uuidText : "mod/\"\(index)\"\u{1}"
                    signal.symbol = index == 2 ? uuidText.lowercased() : "BTCUSDT"
                    signal.createdAt = Date(timeIntervalSince1970: 1_790_000_000.987 + Double(index) * 3600)
                    signal.updatedAt = signal.createdAt.addingTimeInterval(59.5)
                }
                try await signal.create(on: app.db)
            }
            let answer = try await client.send(.GET, "signals", token: token)
            #expect(answer.status == .ok)
            #expect(answer.headers.contentType == .json)
            let stored = try await Signal.query(on: app.db).sort(\.$createdAt, .descending).sort(\.$id, .descending)
                .all()
            // Byte for byte (as text: a failure prints both).
            let expected = String(decoding: try JSONCoding.encode(try stored.map(SignalOut.init)), as: UTF8.self)
            #expect(answer.body.string == expected)
        }
    }

    @Test(arguments: TestDatabase.all)
    func auditListIsWhatJSONEncoderWrites(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (viewer, _) = try await client.signIn("vera@trading.co", role: .viewer)
            let userID = try await client.userID("vera@trading.co")
            let entries: [(UUID?, String?, String?, String?)] = [
                (nil, nil, nil, nil),
                (userID, "signal", UUID().uuidString, #"{"symbol":"BTC/USDT","n":1}"#),
                (userID, "user", "a \"quoted\" /\n\u{1}é", "\u{2028}"),
            ]
            for (index, (user, type, entity, details)) in entries.enumerated() {
                try await AuditEntry(
                    userID: user, action: "bench.check", entityType: type, entityID: entity, details: details,
                    createdAt: Date(timeIntervalSince1970: 1_790_000_000.5 + Double(index))
                ).create(on: app.db)
            }
            for path in ["ops/audit/all", "ops/audit/me"] {
                let answer = try await client.send(.GET, path, token: viewer)
                #expect(answer.status == .ok)
                var query = AuditEntry.query(on: app.db).sort(\.$id, .descending)
                if path.hasSuffix("me") { query = query.filter(\.$userID == userID) }
                let rows = try await query.limit(50).all().map(AuditController.AuditOut.init)
                #expect(answer.body.string == String(decoding: try JSONCoding.encode(rows), as: UTF8.self))
            }
        }
    }

    /// SQLite's UUID texts are parsed by hand (`UUID(hexText:)`): the same as `UUID(uuidString:)`.
    @Test func uuidTextsParseAsFoundationParsesThem() {
        var texts = (0..<100).map { _ in UUID().uuidString }
        texts += texts.prefix(20).map { $0.lowercased() }
        texts += [
            "", "not-a-uuid", "00000000-0000-0000-0000-000000000000", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
            "0000000-00000-0000-0000-000000000000", "00000000-0000-0000-0000-00000000000g",
            "00000000-0000-0000-0000-0000000000000", "00000000-0000-0000-0000-00000000000",
            "{00000000-0000-0000-0000-000000000000}", "00000000000000000000000000000000",
        ]
        for text in texts { #expect(UUID(hexText: text) == UUID(uuidString: text), "\(text)") }
    }
}
