import Fluent
import Vapor

/// `signaldesk migrate`: applies pending migrations without asking (safe to script), or with
/// `--revert` undoes the last batch.
struct SignalDeskMigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "revert", help: "Revert the last batch of migrations instead.")
        var revert: Bool
        init() {}
    }

    var help: String { "Applies pending database migrations." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        if signature.revert {
            try await app.autoRevert()
            context.console.print("Reverted the last batch of migrations.")
        } else {
            try await app.autoMigrate()
            context.console.print("Migrations are up to date (\(app.appConfig.database.kind)).")
        }
    }
}
