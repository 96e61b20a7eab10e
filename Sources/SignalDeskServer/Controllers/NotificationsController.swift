import Fluent
import SignalDeskCore
import Vapor

/// `/users/notifications`: the caller's own Telegram bot, sealed at rest.
struct NotificationsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let notifications = routes.authenticated.grouped("users", "notifications")
        notifications.put(use: Self.set)
        notifications.delete(use: Self.clear)
    }

    struct Body: Content {
        let telegramBotToken: String
        let telegramChatId: String

        enum CodingKeys: String, CodingKey {
            case telegramBotToken, telegramChatId
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            telegramBotToken = try container.decode(String.self, forKey: .telegramBotToken)
            // Chat ids arrive as numbers or strings.
            if let number = try? container.decode(Int64.self, forKey: .telegramChatId) {
                telegramChatId = String(number)
            } else {
                telegramChatId = try container.decode(String.self, forKey: .telegramChatId)
            }
        }
    }

    struct Answer: Content {
        let telegramConfigured: Bool
    }

    @Sendable static func set(req: Request) async throws -> Answer {
        let caller = try req.caller
        let body = try req.content.decode(Body.self)
        var problems: [APIError.ValidationItem] = []
        if !TelegramBotToken.isValid(body.telegramBotToken) {
            problems.append(
                .init(
                    loc: ["body", "telegram_bot_token"],
                    msg: "telegram_bot_token must look like <digits>:<at least 35 characters>",
                    type: "value_error"))
        }
        if Int64(body.telegramChatId.trimmingCharacters(in: .whitespaces)) == nil {
            problems.append(
                .init(
                    loc: ["body", "telegram_chat_id"], msg: "telegram_chat_id must be an integer", type: "value_error"))
        }
        guard problems.isEmpty else { throw APIError(.unprocessableEntity, items: problems) }
        guard let user = try await User.find(caller.id, on: req.db) else { throw BearerAuthMiddleware.invalid }
        let ring = req.application.appConfig.keyRing
        user.telegramBotTokenSealed = try ring.seal(
            body.telegramBotToken, context: SealedField.telegramBotToken.context(owner: caller.id))
        user.telegramChatIDSealed = try ring.seal(
            body.telegramChatId.trimmingCharacters(in: .whitespaces),
            context: SealedField.telegramChatID.context(owner: caller.id))
        try await req.application.stores.transactions.run(on: req.db) { tx in
            try await user.save(on: tx)
            try await AuditLog.record(
                AuditAction.notificationsTelegramSet, userID: caller.id, entityType: "user",
                entityID: caller.id.uuidString,
                on: tx)
        }
        return Answer(telegramConfigured: true)
    }

    @Sendable static func clear(req: Request) async throws -> Answer {
        let caller = try req.caller
        guard let user = try await User.find(caller.id, on: req.db) else { throw BearerAuthMiddleware.invalid }
        user.telegramBotTokenSealed = nil
        user.telegramChatIDSealed = nil
        try await req.application.stores.transactions.run(on: req.db) { tx in
            try await user.save(on: tx)
            try await AuditLog.record(
                AuditAction.notificationsTelegramCleared, userID: caller.id, entityType: "user",
                entityID: caller.id.uuidString,
                on: tx)
        }
        return Answer(telegramConfigured: false)
    }
}
