import Crypto
import Foundation

/// The audit log's hash chain.
///
/// Every row stores `prev_hash` (the `row_hash` of the row before it in the chain, or
/// ``genesis`` for the first) and `row_hash = SHA-256(prev_hash ‖ canonical content)`. Editing,
/// deleting or reordering a chained row breaks the link of that row or of the next one, which
/// ``verify(_:)`` reports as the first broken row.
public enum AuditChain {
    /// The `prev_hash` of the first row: 64 zeros.
    public static let genesis = String(repeating: "0", count: 64)

    /// What a row's hash covers: every column a reader relies on.
    public struct Content: Sendable, Equatable {
        public let id: Int
        public let userID: UUID?
        public let action: String
        public let entityType: String?
        public let entityID: String?
        public let details: String?
        public let createdAt: Date

        public init(
            id: Int, userID: UUID?, action: String, entityType: String?, entityID: String?, details: String?,
            createdAt: Date
        ) {
            self.id = id
            self.userID = userID
            self.action = action
            self.entityType = entityType
            self.entityID = entityID
            self.details = details
            self.createdAt = createdAt
        }

        /// Length-prefixed fields, so no value can imitate a field boundary; absent values differ
        /// from empty ones. The time counts in whole milliseconds, the precision every supported
        /// database keeps.
        public var canonical: String {
            func field(_ value: String?) -> String {
                guard let value else { return "-;" }
                return "\(value.utf8.count):\(value);"
            }
            let millis = Int64((createdAt.timeIntervalSince1970 * 1000).rounded())
            return "v1;" + field(String(id)) + field(userID?.uuidString.lowercased()) + field(action)
                + field(entityType) + field(entityID) + field(details) + field(String(millis))
        }
    }

    /// A row as stored: its content and the two hashes.
    public struct Link: Sendable, Equatable {
        public let content: Content
        public let prevHash: String
        public let rowHash: String

        public init(content: Content, prevHash: String, rowHash: String) {
            self.content = content
            self.prevHash = prevHash
            self.rowHash = rowHash
        }
    }

    public struct Verification: Sendable, Equatable {
        public let rows: Int
        public let valid: Bool
        public let firstBrokenID: Int?
        /// The hash of the last row that verified, to continue with the next page.
        public let tip: String
    }

    /// Hex SHA-256 of the previous hash, a newline and the canonical content.
    public static func hash(previous: String, _ content: Content) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(previous.utf8))
        hasher.update(data: Data("\n".utf8))
        hasher.update(data: Data(content.canonical.utf8))
        return Hex.encode(hasher.finalize())
    }

    /// Chains `contents` (in chain order) after the row whose hash is `tip`.
    public static func seal(_ contents: [Content], after tip: String) -> [Link] {
        var previous = tip
        return contents.map { content in
            let link = Link(content: content, prevHash: previous, rowHash: hash(previous: previous, content))
            previous = link.rowHash
            return link
        }
    }

    /// Walks `links` in chain order starting after `tip`; stops at the first row whose stored
    /// previous hash is not the hash before it, or whose own hash does not match its content.
    public static func verify(_ links: [Link], after tip: String = genesis) -> Verification {
        var previous = tip
        for (index, link) in links.enumerated() {
            // Hashes are public values: a plain comparison is fine here.
            guard link.prevHash == previous, link.rowHash == hash(previous: previous, link.content) else {
                return Verification(rows: index, valid: false, firstBrokenID: link.content.id, tip: previous)
            }
            previous = link.rowHash
        }
        return Verification(rows: links.count, valid: true, firstBrokenID: nil, tip: previous)
    }
}
