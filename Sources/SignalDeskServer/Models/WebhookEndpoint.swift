import Fluent
import Foundation

/// A user's webhook: the public uuid in the URL, the secret sealed (for HMAC verification) and
/// its SHA-256 digest (for constant-time comparison of body secrets without unsealing).
final class WebhookEndpoint: Model, @unchecked Sendable {
    static let schema = "webhook_endpoints"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "webhook_uuid") var webhookUUID: String
    @Field(key: "secret_sealed") var secretSealed: String
    @Field(key: "secret_digest") var secretDigest: String
    @Field(key: "enabled") var enabled: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}

/// A setting row (the kill switch among them).
final class Setting: Model, @unchecked Sendable {
    static let schema = "settings"

    @ID(custom: "key", generatedBy: .user) var id: String?
    @Field(key: "value") var value: String
    @OptionalField(key: "updated_by") var updatedBy: UUID?
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}
