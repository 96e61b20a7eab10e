import Foundation
import SignalDeskCore
import Vapor

/// `signaldesk keys generate`: prints a new key ring entry and a JWT secret.
struct KeysCommand: AsyncCommandGroup {
    var help: String { "Manages the encryption key ring." }
    var commands: [String: any AnyAsyncCommand] {
        ["generate": KeysGenerateCommand(), "rotate": KeysRotateCommand()]
    }
}

struct KeysGenerateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "id", help: "Key id for the new entry (default: k + today's date).")
        var id: String?
        init() {}
    }

    var help: String { "Prints a new ENCRYPTION_KEYS entry and a JWT_SECRET." }

    func run(using context: CommandContext, signature: Signature) async throws {
        context.console.print(try Self.output(id: signature.id, now: Date()))
    }

    static func output(id: String?, now: Date) throws -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd"
        let keyID = id ?? "k\(formatter.string(from: now))"
        let entry: String
        do {
            entry = try KeyRing.generateEntry(id: keyID)
        } catch {
            throw CommandFailure(error.description)
        }
        return """
            # New key ring entry: put it first in ENCRYPTION_KEYS (keep the old entries after it),
            # restart, run `signaldesk keys rotate`, and drop the old entry once posture shows none left on it.
            ENCRYPTION_KEYS=\(entry)
            # A fresh HS256 secret, for a new deployment or a planned JWT rotation (it logs everyone out).
            JWT_SECRET=\(Hex.encode(SecureBytes.random(count: 32)))
            """
    }
}

/// `signaldesk keys rotate [--dry-run]`: the same re-sealing as
/// `POST /ops/security/reencrypt-exchange-secrets`, printed as JSON.
struct KeysRotateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "dry-run", help: "Count what would be re-sealed without writing.")
        var dryRun: Bool
        init() {}
    }

    var help: String { "Re-seals every stored secret under the active key of ENCRYPTION_KEYS." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let report = try await KeyRotation(keyRing: app.appConfig.keyRing, db: app.db, logger: app.logger)
            .run(dryRun: signature.dryRun)
        try await AuditLog.record(
            AuditAction.securityKeyRotationReencrypt, userID: nil, entityType: "security", entityID: "key_ring",
            details: [
                "dry_run": .bool(report.dryRun), "scanned": .int(report.scanned), "updated": .int(report.updated),
                "failed": .int(report.failed), "active_key_id": .string(report.activeKeyId), "via": "cli",
            ], on: app.db)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        context.console.print(String(decoding: try encoder.encode(report), as: UTF8.self))
        if report.failed > 0 {
            throw CommandFailure(
                "\(report.failed) stored secret(s) could not be opened with the current key ring; see the log")
        }
    }
}
