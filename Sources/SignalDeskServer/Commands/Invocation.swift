import Vapor

/// What a `signaldesk` command line asks for, read before any configuration: which command, and
/// whether only its help is wanted. It reads the arguments the way Vapor will (ConsoleKit's global
/// flags and the `--log` option come out first, then the first argument left names the command),
/// so an unknown command is refused with one line before anything is loaded, and a help request
/// neither needs a valid configuration nor starts anything.
struct Invocation: Equatable {
    /// Every command the executable runs: `configure(_:config:)` registers all but `serve` and
    /// `routes`, which Vapor registers itself. `CommandTests` checks this list against a configured
    /// application.
    static let commands = ["serve", "migrate", "create-admin", "keys", "worker", "subscriptions", "routes"]

    /// The command's name as given (`serve` when none is).
    var command: String
    /// `--help`/`-h` (or `--autocomplete`): Vapor prints and runs nothing.
    var wantsHelp: Bool

    var isKnown: Bool { Self.commands.contains(command) }

    /// The one line printed for an unknown command.
    var unknownCommandMessage: String {
        "signaldesk: unknown command \"\(command)\" (try: \(Self.commands.joined(separator: ", ")); signaldesk --help)"
    }

    /// ConsoleKit's global flags (`Console.run`) and Vapor's `--log` (`LoggingSystem.bootstrap`),
    /// under the same names, so they are consumed exactly as there.
    private struct GlobalOptions: CommandSignature {
        @Flag(name: "no", short: "n", help: "")
        var no: Bool
        @Flag(name: "yes", short: "y", help: "")
        var yes: Bool
        @Flag(name: "help", short: "h", help: "")
        var help: Bool
        @Flag(name: "autocomplete", help: "")
        var autocomplete: Bool
        @Option(name: "log", help: "")
        var log: String?
        init() {}
    }
}

extension Invocation {
    /// - Parameter arguments: the process arguments after `Environment.detect()` took `--env` out,
    ///   the executable first.
    init(arguments: [String]) throws {
        var input = CommandInput(arguments: arguments.isEmpty ? ["signaldesk"] : arguments)
        let global = try GlobalOptions(from: &input)
        command = input.arguments.first ?? "serve"
        wantsHelp = global.help || global.autocomplete
    }
}
