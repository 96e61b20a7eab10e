import AsyncHTTPClient
import Fluent
import Foundation
import NIOConcurrencyHelpers
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// Delivers the outbox to Telegram (`POST {base}/bot<token>/sendMessage`): the user's own bot when
/// set, else the platform bot. Retries with exponential backoff (honouring `retry_after` on 429);
/// a delivery failure never touches the trade it reports.
///
/// Pace (issue 21): a full batch of due messages is followed by the next at once, so the messages
/// of a burst go out as fast as they are sent, not 20 a second for minutes after it (2,000 alerts
/// left 1,200 messages due when the last signal had executed). With nothing due the loop looks
/// every second, then every 2 s, then every `idleInterval` (4 s), until it finds a message again
/// or a new one wakes it (retries become due up to that much later).
final class TelegramSender: LifecycleHandler, Sendable {
    static let maxAttempts = 8
    /// Messages read per pass.
    static let batchSize = 20
    static let idleInterval: Duration = .seconds(4)
    let loop: BackgroundLoop

    init(interval: Duration = .seconds(1), idleInterval: Duration = TelegramSender.idleInterval) {
        loop = BackgroundLoop(name: "Outbox delivery", interval: interval, idleInterval: idleInterval)
    }

    func didBootAsync(_ application: Application) async throws {
        let wake = SignalWakeup()
        application.outboxWakeup = wake
        loop.start(app: application, wakeup: wake, paced: Self.step)
    }

    /// One pass: a full batch means more may be due at once; none, an idle pass.
    @Sendable static func step(_ app: Application) async throws -> BackgroundLoop.Pace {
        switch try await deliverBatch(app: app).due {
        case batchSize: .again
        case 0: .idle
        default: .worked
        }
    }

    func shutdownAsync(_ application: Application) async {
        await loop.stop(logger: application.logger, deadline: application.shutdownDeadline)
    }

    /// Sends every due message once. Returns how many were sent.
    @discardableResult
    static func deliverDue(app: Application, now: Date? = nil) async throws -> Int {
        try await deliverBatch(app: app, now: now).sent
    }

    /// Sends up to ``batchSize`` due messages once: how many were due and how many were sent.
    static func deliverBatch(app: Application, now: Date? = nil) async throws -> (due: Int, sent: Int) {
        let now = now ?? app.wallClock.now()
        let due = try await OutboxMessage.query(on: try app.database)
            .filter(\.$status == "PENDING").filter(\.$nextAttemptAt <= now)
            .sort(\.$createdAt).limit(batchSize).all()
        var sent = 0
        for message in due where try await claim(message, app: app, now: now) {
            if try await deliver(message, app: app, now: now) { sent += 1 }
        }
        return (due.count, sent)
    }

    /// How long a claimed message is left to its sender before another may try it (the send's
    /// own timeout is 10 s); a sender that stopped mid-send leaves it due again after this.
    static let claimLease: TimeInterval = 60

    /// Takes `message` for one attempt, counting it: succeeds only if no other sender has taken
    /// it since it was read (its attempt count is unchanged and it is still pending). Several
    /// senders run at once (each `serve` and `signaldesk worker` process has one, and a manual
    /// ``deliverDue(app:now:)`` may overlap the loop): without the claim two of them could
    /// read the same due message and both send it.
    private static func claim(_ message: OutboxMessage, app: Application, now: Date) async throws -> Bool {
        let id = try message.requireID()
        let leaseEnd = now.addingTimeInterval(claimLease)
        // Deferred (``Durability``): a claim or a mark lost with the machine sends the message
        // once more, as a crash between the send and the mark does.
        let claimed = try await app.stores.transactions.writing(on: try app.database, durability: .deferred) { db in
            try await OutboxStore.claim(id: id, attempts: message.attempts, leaseEnd: leaseEnd, on: db)
        }
        guard claimed else {
            return false
        }
        // The row now holds these values; the model says so, so that saving it writes no others.
        message.attempts += 1
        message.nextAttemptAt = leaseEnd
        return true
    }

    private static func destination(for message: OutboxMessage, app: Application) async throws -> (
        token: String, chat: String
    )? {
        let config = app.appConfig
        if let userID = message.$user.id, let user = try await User.find(userID, on: try app.database),
            let sealedToken = user.telegramBotTokenSealed, let sealedChat = user.telegramChatIDSealed
        {
            return (
                try config.keyRing.openString(
                    sealedToken, context: SealedField.telegramBotToken.context(owner: userID)),
                try config.keyRing.openString(sealedChat, context: SealedField.telegramChatID.context(owner: userID))
            )
        }
        guard let token = config.telegramBotToken, let chat = config.telegramChatID else { return nil }
        return (token, chat)
    }

    private static func deliver(_ message: OutboxMessage, app: Application, now: Date) async throws -> Bool {
        guard let (token, chat) = try await destination(for: message, app: app) else {
            message.status = "SKIPPED"
            message.lastError = "no Telegram bot configured"
            try await app.stores.transactions.writing(on: try app.database, durability: .deferred) {
                try await message.save(on: $0)
            }
            return false
        }
        let base = app.appConfig.telegramAPIBaseURL.absoluteString.trimmingCharacters(
            in: CharacterSet(charactersIn: "/"))
        var request = HTTPClientRequest(url: "\(base)/bot\(token)/sendMessage")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body: [String: String] = ["chat_id": chat, "text": message.payload, "parse_mode": "HTML"]
        request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        var retryAfter: Double?
        var failure: String?
        do {
            let response = try await app.http.client.shared.execute(request, timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 16))
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
            if response.status == .ok, object?["ok"] as? Bool == true {
                message.status = "SENT"
                message.sentAt = now
                message.lastError = nil
                try await app.stores.transactions.writing(on: try app.database, durability: .deferred) {
                    try await message.save(on: $0)
                }
                return true
            }
            retryAfter = ((object?["parameters"] as? [String: Any])?["retry_after"] as? NSNumber)?.doubleValue
            failure = "HTTP \(response.status.code)"
        } catch {
            failure = String(describing: type(of: error))
        }
        // The token is part of the URL: never keep or log anything that could contain it.
        message.lastError = failure
        if message.attempts >= maxAttempts {
            message.status = "FAILED"
        } else {
            let backoff = retryAfter ?? min(300, pow(2, Double(message.attempts)))
            message.nextAttemptAt = now.addingTimeInterval(backoff)
        }
        try await app.stores.transactions.writing(on: try app.database, durability: .deferred) {
            try await message.save(on: $0)
        }
        return false
    }
}

extension Application {
    private struct OutboxWakeupKey: StorageKey {
        typealias Value = SignalWakeup
    }

    /// Wakes the Telegram sender when a message was queued (set once the sender runs).
    var outboxWakeup: SignalWakeup? {
        get { storage[OutboxWakeupKey.self] }
        set { storage[OutboxWakeupKey.self] = newValue }
    }
}
