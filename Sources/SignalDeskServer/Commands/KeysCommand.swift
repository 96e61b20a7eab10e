import Foundation
import SignalDeskCore
import Vapor

/// `signaldesk keys generate`: prints a new key ring entry and a JWT secret.
struct KeysCommand: AsyncCommandGroup {
    var help: String { "Manages the encryption key ring." }
    var commands: [String: any AnyAsyncCommand] {
        ["generate": KeysGenerateCommand()]
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
