import Fluent
import Foundation
import SQLKit
import SignalDeskCore
@testable import SignalDeskServer
import Testing
import VaporTesting

extension Client {
    func json(_ method: HTTPMethod, _ path: String, token: String) async throws -> [String: Any] {
        let response = try await send(method, path, token: token)
        guard response.status == .ok else { throw TestFailure("\(method) \(path): \(response.status) \(response.body.string)") }
        return response.json()
    }

    func list(_ path: String, token: String) async throws -> [[String: Any]] {
        let response = try await send(.GET, path, token: token)
        guard response.status == .ok else { throw TestFailure("GET \(path): \(response.status) \(response.body.string)") }
        return (try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]]) ?? []
    }

    func userID(_ email: String) async throws -> UUID {
        try #require(try await User.query(on: app.db).filter(\.$email == email).first()?.id)
    }
}

@Suite struct AuditChainServerTests {
    @Test(arguments: TestDatabase.all)
    func theChainSealsConcurrentWritersAndFindsEdits(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("root@trading.co", role: .admin)
            let (viewer, _) = try await client.signIn("vera@trading.co", role: .viewer)
            let (trader, _) = try await client.signIn("ana@trading.co")

            // Writers and two sealers at once: the chain must come out whole, with no fork.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        try await AuditLog.record("probe.write", userID: nil, entityType: "probe", entityID: "\(index)", on: app.db)
                    }
                }
                for _ in 0..<2 {
                    group.addTask { _ = try await AuditChainStore(app: app, db: app.db).sealPending(limit: 7) }
                }
                try await group.waitForAll()
            }
            let verified = try await client.json(.GET, "ops/audit/verify", token: admin)
            let total = try await AuditEntry.query(on: app.db).count()
            #expect(verified["valid"] as? Bool == true && verified["first_broken_id"] is NSNull)
            #expect(verified["rows"] as? Int == total)
            let sequence = try await AuditEntry.query(on: app.db).sort(\.$chainSeq).all().compactMap(\.chainSeq)
            #expect(sequence == Array(1...Int64(total)))

            // Viewers may verify; traders may not.
            #expect(try await client.send(.GET, "ops/audit/verify", token: viewer).status == .ok)
            #expect(try await client.send(.GET, "ops/audit/verify", token: trader).status == .forbidden)

            // An edited row is found, and only that one is named.
            let sql = app.db as! any SQLDatabase
            let victim = try #require(try await AuditEntry.query(on: app.db).filter(\.$chainSeq == 10).first())
            try await sql.raw("UPDATE audit_log SET details = '{\"forged\":true}' WHERE id = \(bind: victim.id!)").run()
            let broken = try await client.json(.GET, "ops/audit/verify", token: admin)
            #expect(broken["valid"] as? Bool == false && broken["first_broken_id"] as? Int == victim.id)
            #expect(broken["rows"] as? Int == 9)

            // Restored, the chain is whole again; a deleted row breaks the link of the next one.
            try await sql.raw("UPDATE audit_log SET details = NULL WHERE id = \(bind: victim.id!)").run()
            #expect(try await client.json(.GET, "ops/audit/verify", token: admin)["valid"] as? Bool == true)
            let next = try #require(try await AuditEntry.query(on: app.db).filter(\.$chainSeq == 21).first())
            try await sql.raw("DELETE FROM audit_log WHERE chain_seq = 20").run()
            #expect(try await client.json(.GET, "ops/audit/verify", token: admin)["first_broken_id"] as? Int == next.id)
        }
    }

    @Test(arguments: TestDatabase.all)
    func auditQueriesFilterPageAndRespectRoles(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (ana, _) = try await client.signIn("ana@trading.co")
            _ = try await client.signIn("bob@desk.io")
            let (viewer, _) = try await client.signIn("vera@trading.co", role: .viewer)
            _ = try await client.createSignal(ana)
            _ = try await client.login("bob@desk.io", password: "wrong-password")
            let anaID = try await client.userID("ana@trading.co")

            let mine = try await client.list("ops/audit/me", token: ana)
            #expect(!mine.isEmpty && mine.allSatisfy { $0["user_id"] as? String == anaID.uuidString })
            #expect(Set(mine[0].keys) == ["id", "user_id", "action", "entity_type", "entity_id", "details", "created_at"])
            #expect(mine.map { $0["action"] as! String }.contains("signal.create"))
            let ids = mine.map { $0["id"] as! Int }
            #expect(ids == ids.sorted(by: >))
            #expect(try await client.send(.GET, "ops/audit/me?limit=0", token: ana).status == .unprocessableEntity)

            #expect(try await client.send(.GET, "ops/audit/all", token: ana).status == .forbidden)
            let all = try await client.send(.GET, "ops/audit/all", token: viewer)
            #expect(all.status == .ok && !all.body.string.contains("password-123") && !all.body.string.contains("wrong-password"))

            let logins = try await client.list("ops/audit/all?action=auth.login.", token: viewer)
            #expect(Set(logins.map { $0["action"] as! String }) == ["auth.login.success", "auth.login.failed"])
            // A prefix is literal: `_` in it is not a wildcard.
            #expect(try await client.list("ops/audit/all?action=auth_login", token: viewer).isEmpty)
            let bobs = try await client.list("ops/audit/all?user_email=BOB@desk.io", token: viewer)
            let bobID = try await client.userID("bob@desk.io").uuidString
            #expect(!bobs.isEmpty && bobs.allSatisfy { $0["user_id"] as? String == bobID })
            #expect(Set(bobs.map { $0["action"] as! String }).isSuperset(of: ["auth.register.success", "auth.login.success"]))
            #expect(try await client.list("ops/audit/all?user_email=nobody@desk.io", token: viewer).isEmpty)
            #expect(try await client.list("ops/audit/all?since=2999-01-01", token: viewer).isEmpty)
            let everything = try await client.list("ops/audit/all", token: viewer)
            #expect(try await client.list("ops/audit/all?since=2020-01-01T00:00:00Z", token: viewer).count == everything.count)
            let badSince = try await client.send(.GET, "ops/audit/all?since=yesterday", token: viewer)
            #expect(badSince.status == .unprocessableEntity && badSince.body.string.contains("since must be an ISO-8601"))

            let first = try await client.list("ops/audit/all?limit=2", token: viewer)
            let second = try await client.list("ops/audit/all?limit=2&before_id=\(first[1]["id"] as! Int)", token: viewer)
            #expect(first.count == 2 && second.count == 2)
            #expect((second[0]["id"] as! Int) < (first[1]["id"] as! Int))
        }
    }
}
