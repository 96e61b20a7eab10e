import Foundation
import Logging
import Vapor

#if canImport(Glibc)
import Glibc
#endif

/// The `signaldesk` executable: reads the configuration once, configures the application and runs
/// the command named on the command line (`serve` by default).
public enum SignalDeskMain {
    /// Exit status for an invalid configuration (sysexits.h EX_CONFIG).
    static let configurationExitCode: Int32 = 78

    public static func run() async {
        do {
            var environment = try Environment.detect()
            let command = environment.arguments.dropFirst().first { !$0.hasPrefix("-") } ?? "serve"

            // `keys generate` must work before any secret exists, so it runs without a configuration.
            if Array(environment.arguments.dropFirst().prefix(2)) == ["keys", "generate"] {
                var input = CommandInput(arguments: Array(environment.arguments.dropFirst(2)))
                input.executablePath = [environment.arguments[0], "keys", "generate"]
                let console = Terminal()
                try await console.run(KeysGenerateCommand(), input: input)
                return
            }

            let production = environment == .production
            let config: AppConfig
            let notices: [String]
            do {
                (config, notices) = try ConfigLoader.load(
                    processEnvironment: ProcessInfo.processInfo.environment,
                    production: production,
                    directory: FileManager.default.currentDirectoryPath
                )
            } catch {
                FileHandle.standardError.write(Data("signaldesk: \(error)\n".utf8))
                exit(configurationExitCode)
            }

            let levelFlagGiven = environment.arguments.contains("--log")
            try LoggingSystem.bootstrap(from: &environment) { flagLevel in
                let level = levelFlagGiven ? flagLevel : config.logLevel
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
                if command == "serve" { try await prepareForServing(app) }
                try await app.execute()
            } catch {
                app.logger.report(error: error)
                try? await app.asyncShutdown()
                FileHandle.standardError.write(Data("signaldesk: \(error)\n".utf8))
                exit(1)
            }
            try await app.asyncShutdown()
        } catch {
            FileHandle.standardError.write(Data("signaldesk: \(error)\n".utf8))
            exit(1)
        }
    }
}
