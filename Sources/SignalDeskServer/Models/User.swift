import Fluent
import Foundation

/// Roles of contract.md: `viewer` reads ops data, `disabled` cannot log in.
public enum UserRole: String, Codable, Sendable, CaseIterable {
    case admin, trader, viewer, disabled
}

final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "email") var email: String
    @Field(key: "password_hash") var passwordHash: String
    @OptionalField(key: "display_name") var displayName: String?
    @Enum(key: "role") var role: UserRole
    @OptionalField(key: "risk_profile") var riskProfile: String?
    @OptionalField(key: "capital_base_usd") var capitalBaseUSD: Double?
    @OptionalField(key: "telegram_bot_token_sealed") var telegramBotTokenSealed: String?
    @OptionalField(key: "telegram_chat_id_sealed") var telegramChatIDSealed: String?
    /// When the password was last set; nil means when the account was created.
    @OptionalField(key: "password_changed_at") var passwordChangedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, email: String, passwordHash: String, displayName: String? = nil, role: UserRole) {
        self.id = id
        self.email = email
        self.passwordHash = passwordHash
        self.displayName = displayName
        self.role = role
    }
}
