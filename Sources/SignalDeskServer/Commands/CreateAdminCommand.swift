import Fluent
import SignalDeskCore
import Vapor

/// `signaldesk create-admin --email E --password P`: creates an admin account.
struct CreateAdminCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "email", help: "The admin's email address.")
        var email: String?
        @Option(
            name: "password",
            help: "At least 8 characters. Prefer SIGNALDESK_ADMIN_PASSWORD to keep it out of the process list.")
        var password: String?
        @Option(name: "display-name", help: "Optional display name.")
        var displayName: String?
        init() {}
    }

    var help: String { "Creates an admin account." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let email = signature.email else { throw CommandFailure("--email is required") }
        guard let password = signature.password ?? Environment.get("SIGNALDESK_ADMIN_PASSWORD") else {
            throw CommandFailure("--password (or SIGNALDESK_ADMIN_PASSWORD) is required")
        }
        if app.appConfig.autoMigrate { try await app.autoMigrate() }
        let user = try await AdminAccounts.create(
            email: email, password: password, displayName: signature.displayName, on: app.db, app: app)
        context.console.print("Created admin \(user.email) (\(user.id?.uuidString ?? "?")).")
    }
}

/// A command failure with a message for the operator; the process exits non-zero.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { self.description = message }
}

/// Creating admin accounts, shared by `create-admin` and BOOTSTRAP_ADMIN_EMAIL.
enum AdminAccounts {
    static func create(
        email rawEmail: String, password: String, displayName: String?, on db: any Database, app: Application
    ) async throws -> User {
        let email = EmailAddress.normalized(rawEmail)
        guard EmailAddress.isValid(email) else { throw CommandFailure("'\(rawEmail)' is not an email address") }
        guard password.count >= 8 else { throw CommandFailure("the password must be at least 8 characters") }
        if try await User.query(on: db).filter(\.$email == email).first() != nil {
            throw CommandFailure("a user with email \(email) already exists")
        }
        let hash = try await app.passwordHashing.hash(password)
        let user = User(email: email, passwordHash: hash, displayName: displayName, role: .admin)
        try await user.create(on: db)
        return user
    }

    /// Creates the BOOTSTRAP_ADMIN_EMAIL account when it does not exist yet.
    static func bootstrap(app: Application) async throws {
        guard let admin = app.appConfig.bootstrapAdmin else { return }
        if try await User.query(on: app.db).filter(\.$email == admin.email).first() != nil { return }
        let user = try await create(
            email: admin.email, password: admin.password, displayName: nil, on: app.db, app: app)
        app.logger.notice("Created bootstrap admin \(user.email)")
    }
}
