import Crypto
import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// `GET /ops/admin/audit/export` (issue 25, group 7; crypto-saas's signed export): the newest
/// audit rows with their place in SignalDesk's hash chain, a SHA-256 of the canonical JSON of
/// `{"meta","records"}` (Python's `json.dumps(..., sort_keys=True, separators=(",", ":"),
/// ensure_ascii=True)`, ``CanonicalJSON``) and an HMAC-SHA256 of the same bytes under a key derived
/// from the active encryption key (``KeyRing/derivedKey(purpose:)``; `meta.signing_key_id` names
/// the key). The answer's `meta` and `records` are written in that canonical form, so a client
/// that parses and dumps them again hashes the same bytes.
struct AuditExport {
    let app: Application
    let db: any Database

    static let signingPurpose = "signaldesk.audit-export.v1"
    static let limits = 1...5000

    struct Result: Sendable {
        let canonical: String
        let sha256: String
        let signature: String
        let recordsCount: Int
        /// The whole answer.
        var body: String {
            // `{"meta":…,"records":…}` as hashed, then the two digests.
            "{" + canonical.dropFirst().dropLast() + #","payload_sha256":""# + sha256
                + #"","signature_hmac_sha256":""# + signature + #""}"#
        }
    }

    func export(limit: Int, now: Date) async throws -> Result {
        let rows = try await AuditEntry.query(on: db).sort(\.$id, .descending).limit(limit).all().reversed()
        let tip = try await app.stores.auditChain.tip(on: db)
        let dates = ISO8601DateFormatter()
        dates.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let records: [CanonicalJSON] = rows.map { row in
            var details = CanonicalJSON.null
            if let text = row.details {
                // A row whose details are not JSON (none is written so) keeps its text.
                details = (try? CanonicalJSON.parse(text)) ?? .string(text)
            }
            return .object([
                "id": row.id.map(CanonicalJSON.int) ?? .null,
                "created_at": .string(dates.string(from: row.createdAt)),
                "action": .string(row.action),
                "user_id": row.userID.map { .string($0.uuidString.lowercased()) } ?? .null,
                "entity_type": row.entityType.map(CanonicalJSON.string) ?? .null,
                "entity_id": row.entityID.map(CanonicalJSON.string) ?? .null,
                "details": details,
                "chain_seq": row.chainSeq.map(CanonicalJSON.int) ?? .null,
                "prev_hash": row.prevHash.map(CanonicalJSON.string) ?? .null,
                "row_hash": row.rowHash.map(CanonicalJSON.string) ?? .null,
            ])
        }
        let (keyID, key) = app.appConfig.keyRing.derivedKey(purpose: Self.signingPurpose)
        let meta: CanonicalJSON = .object([
            "tenant_id": .string(Backoffice.tenantID),
            "generated_at": .string(dates.string(from: now)),
            "records_count": .int(records.count),
            "limit": .int(limit),
            "order": .string("id_ascending"),
            "chain_sealed_through": tip.map { .int($0.sequence) } ?? .null,
            "chain_head_hash": tip?.rowHash.map(CanonicalJSON.string) ?? .null,
            "hash_algorithm": .string("sha256"),
            "signature_algorithm": .string("hmac-sha256"),
            "signing_key_id": .string(keyID),
            "canonical_json": .string("python json.dumps sort_keys=True separators=(',', ':') ensure_ascii=True"),
        ])
        let canonical = CanonicalJSON.object(["meta": meta, "records": .array(records)]).text
        let bytes = Data(canonical.utf8)
        let sha256 = Hex.encode(SHA256.hash(data: bytes))
        let signature = Hex.encode(HMAC<SHA256>.authenticationCode(for: bytes, using: key))
        return Result(canonical: canonical, sha256: sha256, signature: signature, recordsCount: records.count)
    }
}
