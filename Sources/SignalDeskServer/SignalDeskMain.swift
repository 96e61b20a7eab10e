import Foundation
import Logging
import SignalDeskCore
import Vapor

#if canImport(Glibc)
    import Glibc
#endif

/// The `signaldesk` executable: reads the configuration once, configures the application and runs
/// the command named on the command line (`serve` by default).
public enum SignalDeskMain {
    /// Exit status for an invalid configuration (sysexits.h EX_CONFIG).
    static let configurationExitCode: Int32 = 78
    /// Exit status for an unknown command (sysexits.h EX_USAGE).
    static let usageExitCode: Int32 = 64

    public static func run() async {
        do {
            var environment = try Environment.detect()
            // Help and usage lines name the command as a person types it, not the build path.
            if !environment.arguments.isEmpty { environment.arguments[0] = "signaldesk" }
            let invocation = try Invocation(arguments: environment.arguments)
            guard invocation.isKnown else { exitPrinting(invocation.unknownCommandMessage, status: usageExitCode) }

            // `keys generate` must work before any secret exists, so it runs without a configuration.
            if !invocation.wantsHelp, Array(environment.arguments.dropFirst().prefix(2)) == ["keys", "generate"] {
                var input = CommandInput(arguments: Array(environment.arguments.dropFirst(2)))
                input.executablePath = [environment.arguments[0], "keys", "generate"]
                let console = Terminal()
                try await console.run(KeysGenerateCommand(), input: input)
                return
            }

            let config: AppConfig
            let notices: [String]
            if invocation.wantsHelp {
                // Help lists the commands and their options: it reads no configuration, writes no
                // development secrets and opens no database file, so it also works where the
                // configuration is invalid, and prints nothing but the help.
                (config, notices) = (try helpConfiguration(), [])
            } else {
                do {
                    (config, notices) = try ConfigLoader.load(
                        processEnvironment: ProcessInfo.processInfo.environment,
                        production: environment == .production,
                        directory: FileManager.default.currentDirectoryPath
                    )
                } catch {
                    exitPrinting("\(error)", status: configurationExitCode)
                }
            }

            let levelFlagGiven = environment.arguments.contains("--log")
            try LoggingSystem.bootstrap(from: &environment) { flagLevel in
                let level = invocation.wantsHelp ? .error : levelFlagGiven ? flagLevel : config.logLevel
                let console = Terminal()
                return { label in
                    switch config.logFormat {
                    case .json: JSONLogHandler(label: label, level: level)
                    case .text: ConsoleLogger(label: label, console: console, level: level)
                    }
                }
            }
            let app = try await Application.make(environment)
            for notice in notices { app.logger.warning("\(notice)") }
            do {
                try await configure(app, config: config)
                app.asyncCommands.use(
                    SignalDeskServeCommand(vapor: await app.servers.asyncCommand), as: "serve", isDefault: true)
                if !invocation.wantsHelp {
                    switch invocation.command {
                    case "serve": try await prepareForServing(app)
                    case "worker": try await prepareForWorking(app)
                    default: break
                    }
                }
                // `startup()` and not `execute()`: execute logs a failure before rethrowing it, and the
                // error is printed once, below.
                try await app.startup()
                try await app.running?.onStop.get()
            } catch {
                try? await app.asyncShutdown()
                exitPrinting(message(for: error), status: 1)
            }
            try await app.asyncShutdown()
        } catch {
            exitPrinting(message(for: error), status: 1)
        }
    }

    /// A failure as one line for the operator (``DatabaseErrors/describe(_:)``).
    static func message(for error: any Error) -> String {
        "signaldesk: " + DatabaseErrors.describe(error)
    }

    /// A configuration for `--help`: defaults, an in-memory database and throwaway secrets.
    static func helpConfiguration() throws -> AppConfig {
        let keyRing = try KeyRing.parse(try KeyRing.generateEntry(id: "help"))
        var config = AppConfig(
            database: .sqlite(path: ":memory:"), jwtSecret: Hex.encode(SecureBytes.random(count: 32)), keyRing: keyRing)
        config.autoMigrate = false
        return config
    }

    private static func exitPrinting(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
        exit(status)
    }
}
