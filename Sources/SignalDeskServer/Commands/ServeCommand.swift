import Vapor

/// `signaldesk serve`: Vapor's own serve command, whose help also lists the options the executable
/// reads before any command runs (`--env`, `--log`), so `serve --help` shows how to start production.
struct SignalDeskServeCommand: AnyAsyncCommand {
    /// The help text's signature: Vapor's serve options, then the executable's own.
    struct Signature: CommandSignature {
        @Option(name: "hostname", short: "H", help: "Set the hostname the server will run on.")
        var hostname: String?
        @Option(name: "port", short: "p", help: "Set the port the server will run on (default: PORT, then 8080).")
        var port: Int?
        @Option(name: "bind", short: "b", help: "Convenience for setting hostname and port together.")
        var bind: String?
        @Option(name: "unix-socket", help: "Set the path for the unix domain socket file the server will bind to.")
        var socketPath: String?
        @Option(
            name: "env", short: "e",
            help:
                "development (default) or production: production refuses to start without JWT_SECRET and ENCRYPTION_KEYS."
        )
        var env: String?
        @Option(
            name: "log", help: "Log level (trace, debug, info, notice, warning, error, critical); overrides LOG_LEVEL.")
        var log: String?
        init() {}
    }

    let vapor: ServeCommand

    var help: String { vapor.help }

    func run(using context: inout CommandContext) async throws {
        try await vapor.run(using: &context)
    }

    func outputAutoComplete(using context: inout CommandContext) {
        vapor.outputAutoComplete(using: &context)
    }

    func outputHelp(using context: inout CommandContext) throws {
        context.console.output(
            "Usage: ".consoleText(.info) + context.input.executable.consoleText() + " ", newLine: false)
        Signature().outputHelp(help: help, using: &context)
    }
}
