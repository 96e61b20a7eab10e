import Fluent
import Foundation

/// One issued refresh token. Rotation replaces a row by a new one in the same family; the
/// family id is the `sid` claim of every access token issued from it.
final class Session: Model, @unchecked Sendable {
    static let schema = "sessions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "family_id") var familyID: UUID
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "replaced_by") var replacedBy: UUID?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(id: UUID = UUID(), userID: UUID, familyID: UUID, tokenHash: String, expiresAt: Date, createdAt: Date) {
        self.id = id
        self.$user.id = userID
        self.familyID = familyID
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
        self.createdAt = createdAt
    }
}

/// A user's TOTP enrolment. The seed is sealed with the key ring; `lastUsedStep` makes each code
/// single-use.
final class TwoFactor: Model, @unchecked Sendable {
    static let schema = "two_factor"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "secret_sealed") var secretSealed: String
    @Field(key: "enabled") var enabled: Bool
    @OptionalField(key: "last_used_step") var lastUsedStep: Int64?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(userID: UUID, secretSealed: String) {
        self.$user.id = userID
        self.secretSealed = secretSealed
        self.enabled = false
    }
}

/// One login attempt for an email, successful or not, for throttling.
final class LoginAttempt: Model, @unchecked Sendable {
    static let schema = "login_attempts"

    @ID(key: .id) var id: UUID?
    @Field(key: "email") var email: String
    @Field(key: "succeeded") var succeeded: Bool
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(email: String, succeeded: Bool, at date: Date) {
        self.email = email
        self.succeeded = succeeded
        self.createdAt = date
    }
}
