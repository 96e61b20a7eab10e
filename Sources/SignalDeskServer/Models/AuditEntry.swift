import Fluent
import Foundation

/// A row of the audit log. Written only through ``AuditLog``.
final class AuditEntry: Model, @unchecked Sendable {
    static let schema = "audit_log"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @OptionalField(key: "user_id") var userID: UUID?
    @Field(key: "action") var action: String
    @OptionalField(key: "entity_type") var entityType: String?
    @OptionalField(key: "entity_id") var entityID: String?
    @OptionalField(key: "details") var details: String?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "prev_hash") var prevHash: String?
    @OptionalField(key: "row_hash") var rowHash: String?
    @OptionalField(key: "chain_seq") var chainSeq: Int64?

    init() {}

    init(userID: UUID?, action: String, entityType: String?, entityID: String?, details: String?, createdAt: Date) {
        self.userID = userID
        self.action = action
        self.entityType = entityType
        self.entityID = entityID
        self.details = details
        self.createdAt = createdAt
    }
}
