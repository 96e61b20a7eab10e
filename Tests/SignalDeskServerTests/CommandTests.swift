import Fluent
import Foundation
import NIOConcurrencyHelpers
import SignalDeskCore
import Testing
import Vapor
import VaporTesting

@testable import SignalDeskServer

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
            try await run(
                CreateAdminCommand(), ["--email", "Ops@Example.com", "--password", "correct-horse-9"], on: app)
            let admin = try #require(try await User.query(on: app.db).filter(\.$email == "ops@example.com").first())
            #expect(admin.role == .admin)
            #expect(admin.passwordHash != "correct-horse-9")
            #expect(try app.password.verify("correct-horse-9", created: admin.passwordHash))

            await #expect(throws: CommandFailure.self) {
                try await run(
                    CreateAdminCommand(), ["--email", "ops@example.com", "--password", "another-pass-1"], on: app)
            }
            await #expect(throws: CommandFailure.self) {
                try await run(CreateAdminCommand(), ["--email", "new@example.com", "--password", "short"], on: app)
            }
            await #expect(throws: CommandFailure.self) {
                try await run(
                    CreateAdminCommand(), ["--email", "not-an-email", "--password", "long-enough-1"], on: app)
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
        let lines = Dictionary(
            uniqueKeysWithValues: output.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
                let parts = line.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), String(parts[1]))
            })
        let ring = try KeyRing.parse(try #require(lines["ENCRYPTION_KEYS"]))
        #expect(ring.activeKeyID == "k20261118")
        #expect(Hex.decode(try #require(lines["JWT_SECRET"]))?.count == 32)
        #expect(throws: CommandFailure.self) { try KeysGenerateCommand.output(id: "bad id", now: Date()) }
    }

    @Test func invocationReadsTheCommandAsVaporDoes() throws {
        #expect(try Invocation(arguments: ["signaldesk"]) == Invocation(command: "serve", wantsHelp: false))
        #expect(try Invocation(arguments: ["signaldesk", "--help"]) == Invocation(command: "serve", wantsHelp: true))
        #expect(
            try Invocation(arguments: ["signaldesk", "worker", "-h"]) == Invocation(command: "worker", wantsHelp: true))
        #expect(try Invocation(arguments: ["signaldesk", "--log", "debug", "worker"]).command == "worker")
        #expect(try Invocation(arguments: ["signaldesk", "-y", "migrate", "--revert"]).command == "migrate")
        #expect(try Invocation(arguments: ["signaldesk", "keys", "generate"]).command == "keys")
        #expect(try Invocation(arguments: ["signaldesk", "serve", "--port", "9000"]).isKnown)

        let unknown = try Invocation(arguments: ["signaldesk", "foo", "--help"])
        #expect(!unknown.isKnown)
        #expect(
            unknown.unknownCommandMessage
                == #"signaldesk: unknown command "foo" (try: serve, migrate, create-admin, keys, worker, subscriptions, routes; signaldesk --help)"#
        )
    }

    /// The names SignalDeskMain accepts before configuring are exactly the commands a configured
    /// application runs: a command added to `configure` without this list would be refused.
    @Test func invocationKnowsEveryRegisteredCommand() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            let registered = Set(app.asyncCommands.commands.keys).union(app.commands.commands.keys)
            #expect(Set(Invocation.commands) == registered)
            #expect(Invocation.commands.count == registered.count)
        }
    }

    @Test func serveHelpListsEnvAndEveryOptionOfVaporsServe() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            let vapor = await app.servers.asyncCommand
            let ours = try helpText(of: SignalDeskServeCommand(vapor: vapor), console: RecordingConsole())
            let theirs = try helpText(of: vapor, console: RecordingConsole())
            let optionPattern = /\[--([a-z-]+)/
            let vaporOptions = Set(theirs.matches(of: optionPattern).map { String($0.1) })
            let ourOptions = Set(ours.matches(of: optionPattern).map { String($0.1) })
            #expect(!vaporOptions.isEmpty)
            #expect(vaporOptions.isSubset(of: ourOptions), "missing: \(vaporOptions.subtracting(ourOptions))")
            #expect(ourOptions.isSuperset(of: ["env", "log"]))
            #expect(ours.contains("production refuses to start without JWT_SECRET and ENCRYPTION_KEYS"))
        }
    }

    /// `signaldesk worker`: what SignalDeskMain runs before the application boots starts the loops,
    /// so a signal accepted by another process (a server without a worker) is executed.
    /// scripts/checks/worker.sh runs the same as processes.
    @Test(arguments: TestDatabase.all)
    func prepareForWorkingStartsTheLoopsAtBoot(_ database: TestDatabase) async throws {
        try await withTestDatabase(database) { config in
            var intake = config
            intake.workerEnabled = false
            try await withApp(intake) { front in
                let client = Client(app: front)
                let (_, uuid, secret) = try await client.webhookUser()
                let alert =
                    #"{"secret":"\#(secret)","symbol":"BTCUSDT","side":"buy","price":100,"stop_loss":95,"take_profit":110,"alert_id":"w-1"}"#
                #expect(try await client.alert(uuid, alert).status == .accepted)
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await Signal.query(on: front.db).first()?.status == .created)

                try await withApp(config, migrate: false) { worker in
                    try await prepareForWorking(worker)
                    try await worker.asyncBoot()
                    let executed = try await eventually(30) {
                        try await Signal.query(on: front.db).first()?.status == .opened
                    }
                    #expect(executed)
                }
            }
        }
    }

    private func helpText(of command: some AnyAsyncCommand, console: RecordingConsole) throws -> String {
        var context = CommandContext(console: console, input: CommandInput(arguments: ["signaldesk", "serve"]))
        try command.outputHelp(using: &context)
        return console.text
    }
}

/// A console that keeps what commands print.
final class RecordingConsole: Console, @unchecked Sendable {
    private let lock = NIOLock()
    private var printed = ""
    var text: String { lock.withLock { printed } }
    var userInfo: [AnySendableHashable: any Sendable] = [:]
    var size: (width: Int, height: Int) { (120, 40) }
    func input(isSecure: Bool) -> String { "" }
    func output(_ text: ConsoleText, newLine: Bool) {
        lock.withLock { printed += text.description + (newLine ? "\n" : "") }
    }
    func clear(_ type: ConsoleClear) {}
    func report(error: String, newLine: Bool) {
        lock.withLock { printed += error + (newLine ? "\n" : "") }
    }
}
