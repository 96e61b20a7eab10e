import Fluent
import Foundation
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct UsersTests {
    @Test(arguments: TestDatabase.all)
    func adminsCreateAndListUsers(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("root@example.com", role: .admin)
            let created = try await client.send(
                .POST, "users", token: admin,
                json: [
                    "email": "Viewer@Example.com", "password": "password-123", "display_name": "Vi", "role": "viewer",
                ])
            #expect(created.status == .created)
            #expect(created.json()["email"] as? String == "viewer@example.com")
            #expect(created.json()["display_name"] as? String == "Vi")
            #expect(created.json()["role"] as? String == "viewer")
            #expect(created.json()["id"] is String)
            let duplicate = try await client.send(
                .POST, "users", token: admin, json: ["email": "viewer@example.com", "password": "password-123"])
            #expect(duplicate.status == .conflict)
            #expect(duplicate.json() as NSDictionary == ["detail": "Email already exists"])
            let badRole = try await client.send(
                .POST, "users", token: admin,
                json: ["email": "x@example.com", "password": "password-123", "role": "god"])
            #expect(badRole.status == .unprocessableEntity)
            let defaulted = try await client.send(
                .POST, "users", token: admin, json: ["email": "a@example.com", "password": "password-123"])
            #expect(defaulted.json()["role"] as? String == "trader")
            // Absent values are null, not missing keys.
            #expect(defaulted.json()["display_name"] is NSNull)

            let list = try await client.send(.GET, "users", token: admin)
            let emails = try JSONSerialization.jsonObject(with: Data(list.body.readableBytesView)) as? [[String: Any]]
            #expect(
                emails?.compactMap { $0["email"] as? String } == [
                    "a@example.com", "root@example.com", "viewer@example.com",
                ])
            #expect(!list.body.string.contains("password"))
            #expect(try await client.auditActions(userEmail: "root@example.com").contains("user.create"))
        }
    }

    @Test(arguments: TestDatabase.all)
    func rolesAreEnforced(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (trader, _) = try await client.signIn("ana@example.com")
            let (viewer, _) = try await client.signIn("vi@example.com", role: .viewer)
            for token in [trader, viewer] {
                let list = try await client.send(.GET, "users", token: token)
                #expect(list.status == .forbidden)
                #expect(list.json() as NSDictionary == ["detail": "Insufficient permissions"])
                let create = try await client.send(
                    .POST, "users", token: token, json: ["email": "z@example.com", "password": "password-123"])
                #expect(create.status == .forbidden)
                #expect(try await client.send(.GET, "health/detailed", token: token).status == .forbidden)
            }
            #expect(try await client.send(.GET, "users/me", token: viewer).json()["role"] as? String == "viewer")
        }
    }

    @Test(arguments: TestDatabase.all)
    func disabledAccountsCannotLogInAndLoseTheirTokens(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@example.com")
            let user = try #require(try await User.query(on: app.db).filter(\.$email == "ana@example.com").first())
            user.role = .disabled
            try await user.save(on: app.db)
            #expect(try await client.send(.GET, "users/me", token: token).status == .unauthorized)
            let login = try await client.login("ana@example.com")
            #expect(login.status == .forbidden)
            #expect(login.json() as NSDictionary == ["detail": "Account disabled"])
        }
    }

    @Test(arguments: TestDatabase.all)
    func riskProfileFollowsConfiguredEmails(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.riskProfileLooseEmail = "loose@example.com" }) { app in
            let client = Client(app: app)
            let (loose, _) = try await client.signIn("loose@example.com")
            #expect(
                try await client.send(.GET, "users/me", token: loose).json()["risk_profile"] as? String
                    == "modelo_suelto_controlado")
        }
    }

    @Test(arguments: TestDatabase.all)
    func detailedHealthIsForAdmins(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            #expect(try await client.send(.GET, "health/detailed").status == .unauthorized)
            let (admin, _) = try await client.signIn("root@example.com", role: .admin)
            // Polled until the database probe (2 s deadline) answers: a saturated test process can
            // make it miss, and the report then says "unreachable", as it should.
            var status: HTTPStatus = .ok
            var body: [String: Any] = [:]
            let connected = try await eventually(30) {
                let response = try await client.send(.GET, "health/detailed", token: admin)
                status = response.status
                body = response.json()
                return status != .ok || (body["database"] as? [String: Any])?["status"] as? String == "connected"
            }
            #expect(connected && status == .ok)
            #expect(body["status"] as? String == "ok")
            #expect(body["version"] as? String == SignalDeskVersion.current)
            let db = try #require(body["database"] as? [String: Any])
            #expect(db["kind"] as? String == database.rawValue)
            #expect(db["status"] as? String == "connected")
            #expect((db["latency_ms"] as? Double).map { $0 >= 0 } == true)
            #expect(body["queue_depth"] as? Int == 0)
            #expect((body["worker"] as? [String: Any])?["enabled"] as? Bool == true)
        }
    }
}
