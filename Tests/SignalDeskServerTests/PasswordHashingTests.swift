#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
@testable import SignalDeskServer
import Testing
import VaporTesting

/// Bcrypt runs on threads of its own at the lowest priority (DESIGN.md: a flood of logins must not
/// slow webhooks); the effect on webhook latency is measured by scripts/bench/run.sh
/// (`webhook_accept_during_logins`), these tests pin the mechanism.
@Suite struct PasswordHashingTests {
    /// The nice value of the calling thread (Linux: a per-thread attribute; `who == 0` is the caller).
    static func currentNiceness() -> Int32 {
        getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
    }

    /// The nice value of the process's main thread.
    static func mainThreadNiceness() -> Int32 {
        getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(getpid()))
    }

    @Test func workRunsAtTheLowestPriorityWithoutLoweringOtherThreads() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            let main = Self.mainThreadNiceness()
            let caller = Self.currentNiceness()
            for _ in 0..<4 {
                let niceness = try await app.passwordHashing.run { Self.currentNiceness() }
                #expect(niceness == PasswordHashing.niceness)
            }
            #expect(Self.mainThreadNiceness() == main)
            #expect(Self.currentNiceness() == caller)
        }
    }

    @Test func hashesAndVerifies() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            let digest = try await app.passwordHashing.hash("correct horse battery")
            #expect(digest.hasPrefix("$2b$04$"))
            #expect(try await app.passwordHashing.verify("correct horse battery", created: digest))
            #expect(try await app.passwordHashing.verify("correct horse batterY", created: digest) == false)
            await #expect(throws: (any Error).self) {
                _ = try await app.passwordHashing.verify("correct horse battery", created: "not a bcrypt digest")
            }
        }
    }

    /// Records the nice value of the thread each hash and check runs on.
    final class RecordingHasher: PasswordHasher {
        let base: any PasswordHasher
        let niceness = Mutex<[Int32]>([])

        init(base: any PasswordHasher) { self.base = base }

        func hash<Password: DataProtocol>(_ password: Password) throws -> [UInt8] {
            niceness.withLock { $0.append(PasswordHashingTests.currentNiceness()) }
            return try base.hash(password)
        }

        func verify<Password: DataProtocol, Digest: DataProtocol>(_ password: Password, created digest: Digest) throws -> Bool {
            niceness.withLock { $0.append(PasswordHashingTests.currentNiceness()) }
            return try base.verify(password, created: digest)
        }
    }

    @Test(arguments: TestDatabase.all)
    func everyPasswordHashAndCheckRunsAtTheLowestPriority(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let recorder = RecordingHasher(base: app.password)
            await app.installPasswordHashing(hasher: recorder)
            let client = Client(app: app)
            #expect(try await client.register("low.priority@desk.io").status == .created)
            #expect(try await client.login("low.priority@desk.io").status == .ok)
            #expect(try await client.login("low.priority@desk.io", password: "wrong-password").status == .unauthorized)
            #expect(try await client.login("nobody@desk.io").status == .unauthorized)
            let (adminToken, _) = try await client.signIn("root.low@desk.io", role: .admin)
            let created = try await client.send(
                .POST, "users", token: adminToken, json: ["email": "viewer.low@desk.io", "password": "password-123", "role": "viewer"])
            #expect(created.status == .created)
            let admin = try await AdminAccounts.create(
                email: "admin.low@desk.io", password: "admin-password-1", displayName: nil, on: app.db, app: app)
            #expect(admin.role == .admin)
            let recorded = recorder.niceness.withLock { $0 }
            #expect(recorded.count == 7)
            #expect(recorded.allSatisfy { $0 == PasswordHashing.niceness })
        }
    }
}
