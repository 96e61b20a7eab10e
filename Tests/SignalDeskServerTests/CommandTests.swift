import Fluent
import Foundation
import SignalDeskCore
@testable import SignalDeskServer
import Testing
import VaporTesting

@Suite struct CommandTests {
    func run(_ command: some AnyAsyncCommand, _ arguments: [String], on app: Application) async throws {
        var context = CommandContext(console: app.console, input: CommandInput(arguments: ["signaldesk"] + arguments))
        context.application = app
        try await command.run(using: &context)
    }

    @Test(arguments: TestDatabase.all)
    func migrateCommandCreatesTheSchema(_ database: TestDatabase) async throws {
        try await withTestApp(database, migrate: false) { app in
            try await run(SignalDeskMigrateCommand(), [], on: app)
            #expect(try await User.query(on: app.db).count() == 0)
            try await run(SignalDeskMigrateCommand(), ["--revert"], on: app)
            await #expect(throws: (any Error).self) { try await User.query(on: app.db).count() }
        }
    }

    @Test(arguments: TestDatabase.all)
    func createAdminHashesThePasswordAndRefusesDuplicates(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            try await run(CreateAdminCommand(), ["--email", "Ops@Example.com", "--password", "correct-horse-9"], on: app)
            let admin = try #require(try await User.query(on: app.db).filter(\.$email == "ops@example.com").first())
            #expect(admin.role == .admin)
            #expect(admin.passwordHash != "correct-horse-9")
            #expect(try app.password.verify("correct-horse-9", created: admin.passwordHash))

            await #expect(throws: CommandFailure.self) {
                try await run(CreateAdminCommand(), ["--email", "ops@example.com", "--password", "another-pass-1"], on: app)
            }
            await #expect(throws: CommandFailure.self) {
                try await run(CreateAdminCommand(), ["--email", "new@example.com", "--password", "short"], on: app)
            }
            await #expect(throws: CommandFailure.self) {
                try await run(CreateAdminCommand(), ["--email", "not-an-email", "--password", "long-enough-1"], on: app)
            }
            #expect(try await User.query(on: app.db).count() == 1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func bootstrapAdminIsCreatedOnceAtStartUp(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.bootstrapAdmin = ("boot@example.com", "bootstrap-pw-1") }) { app in
            try await prepareForServing(app)
            try await prepareForServing(app)
            let admins = try await User.query(on: app.db).filter(\.$email == "boot@example.com").all()
            #expect(admins.count == 1)
            #expect(admins.first?.role == .admin)
        }
    }

    @Test func keysGenerateOutputParses() throws {
        let output = try KeysGenerateCommand.output(id: nil, now: Date(timeIntervalSince1970: 1_795_000_000))
        let lines = Dictionary(uniqueKeysWithValues: output.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let parts = line.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), String(parts[1]))
        })
        let ring = try KeyRing.parse(try #require(lines["ENCRYPTION_KEYS"]))
        #expect(ring.activeKeyID == "k20261118")
        #expect(Hex.decode(try #require(lines["JWT_SECRET"]))?.count == 32)
        #expect(throws: CommandFailure.self) { try KeysGenerateCommand.output(id: "bad id", now: Date()) }
    }
}
