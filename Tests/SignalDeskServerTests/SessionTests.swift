import Fluent
import Foundation
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct SessionTests {
    @Test(arguments: TestDatabase.all)
    func refreshRotatesAndReuseRevokesTheFamily(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (access, refresh) = try await client.signIn("ana@example.com")
            let rotated = try await client.send(.POST, "auth/refresh", json: ["refresh_token": refresh])
            #expect(rotated.status == .ok)
            let newAccess = try #require(rotated.json()["access_token"] as? String)
            let newRefresh = try #require(rotated.json()["refresh_token"] as? String)
            #expect(newRefresh != refresh)
            #expect(jwtPayload(newAccess)["sid"] as? String == jwtPayload(access)["sid"] as? String)
            // Rotation keeps the family alive: both access tokens work.
            #expect(try await client.send(.GET, "users/me", token: access).status == .ok)
            #expect(try await client.send(.GET, "users/me", token: newAccess).status == .ok)

            let reuse = try await client.send(.POST, "auth/refresh", json: ["refresh_token": refresh])
            #expect(reuse.status == .unauthorized)
            #expect(reuse.json() as NSDictionary == ["detail": "Refresh token reuse detected; session revoked"])
            // The whole family is gone: the latest refresh token and every access token of it.
            #expect(
                try await client.send(.POST, "auth/refresh", json: ["refresh_token": newRefresh]).status
                    == .unauthorized)
            #expect(try await client.send(.GET, "users/me", token: newAccess).status == .unauthorized)
            #expect(try await client.auditActions(userEmail: "ana@example.com").contains("auth.refresh.reuse_detected"))

            let unknown = try await client.send(.POST, "auth/refresh", json: ["refresh_token": "not-a-token"])
            #expect(unknown.json() as NSDictionary == ["detail": "Invalid refresh token"])
            // Refresh tokens are stored only as digests.
            let sessions = try await Session.query(on: app.db).all()
            #expect(!sessions.contains { $0.tokenHash == refresh || $0.tokenHash == newRefresh })
        }
    }

    @Test(arguments: TestDatabase.all)
    func logoutRevokesThatSessionOnly(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (laptop, laptopRefresh) = try await client.signIn("ana@example.com")
            let phone = try #require(try await client.login("ana@example.com").json()["access_token"] as? String)
            let out = try await client.send(.POST, "auth/logout", json: ["refresh_token": laptopRefresh])
            #expect(out.json() as NSDictionary == ["message": "Logged out"])
            #expect(try await client.send(.GET, "users/me", token: laptop).status == .unauthorized)
            #expect(try await client.send(.GET, "users/me", token: phone).status == .ok)
            #expect(
                try await client.send(.POST, "auth/refresh", json: ["refresh_token": laptopRefresh]).status
                    == .unauthorized)
        }
    }

    @Test(arguments: TestDatabase.all)
    func revokeAllEndsEverySession(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (first, _) = try await client.signIn("ana@example.com")
            let second = try #require(try await client.login("ana@example.com").json()["access_token"] as? String)
            let (other, _) = try await client.signIn("bo@example.com")
            let revoked = try await client.send(.POST, "auth/revoke-all", token: first)
            #expect(revoked.status == .ok)
            #expect(revoked.json()["revoked_sessions"] as? Int == 2)
            #expect(try await client.send(.GET, "users/me", token: first).status == .unauthorized)
            #expect(try await client.send(.GET, "users/me", token: second).status == .unauthorized)
            #expect(try await client.send(.GET, "users/me", token: other).status == .ok)
            #expect(try await client.auditActions(userEmail: "ana@example.com").contains("auth.revoke_all"))
        }
    }
}
