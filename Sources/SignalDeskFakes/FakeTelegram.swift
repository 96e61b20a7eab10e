import Foundation
import NIOConcurrencyHelpers
import Vapor

/// A stand-in for the Telegram Bot API: `POST /bot<token>/sendMessage` with `chat_id`, `text`
/// and `parse_mode`; answers `{"ok":true,...}`, or the API's error shapes when told to fail.
public final class FakeTelegram: Sendable {
    public struct Message: Sendable, Equatable {
        public let token: String
        public let chatID: String
        public let text: String
        public let parseMode: String?
    }

    public let server: FakeServer
    private let inbox: NIOLockedValueBox<[Message]>

    public var messages: [Message] { inbox.withLockedValue { $0 } }
    public var baseURL: String { server.baseURL }

    init(server: FakeServer, inbox: NIOLockedValueBox<[Message]>) {
        self.server = server
        self.inbox = inbox
    }

    public static func start() async throws -> FakeTelegram {
        let inbox = NIOLockedValueBox<[Message]>([])
        let server = try await FakeServer.start { app, context in
            app.post(":bot", "sendMessage") { req async -> Response in
                guard let server = context.current else { return Response(status: .serviceUnavailable) }
                return await server.handle(req, accepting: false) {
                    let bot = req.parameters.get("bot") ?? ""
                    guard bot.hasPrefix("bot"),
                        let object = try? JSONSerialization.jsonObject(with: Data((req.body.string ?? "").utf8))
                            as? [String: Any],
                        let chat = object["chat_id"].map({ "\($0)" }), let text = object["text"] as? String,
                        !text.isEmpty
                    else {
                        return Response(
                            status: .badRequest, headers: ["Content-Type": "application/json"],
                            body: .init(
                                string:
                                    #"{"ok":false,"error_code":400,"description":"Bad Request: message text is empty"}"#
                            ))
                    }
                    inbox.withLockedValue {
                        $0.append(
                            Message(
                                token: String(bot.dropFirst(3)), chatID: chat, text: text,
                                parseMode: object["parse_mode"] as? String))
                    }
                    return Response(
                        status: .ok, headers: ["Content-Type": "application/json"],
                        body: .init(string: #"{"ok":true,"result":{"message_id":1}}"#))
                }
            }
        }
        return FakeTelegram(server: server, inbox: inbox)
    }

    public func shutdown() async { await server.shutdown() }
}
