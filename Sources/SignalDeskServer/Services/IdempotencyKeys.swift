import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// Answers remembered per idempotency key (`idempotency_keys`: one row per user, scope and key,
/// unique), so a repeated request gets the first answer and the work behind it runs once.
/// A key used again with another payload (another ``RequestFingerprint``) is refused.
struct IdempotencyKeys {
    let db: any Database

    enum Refusal: Error, Equatable {
        /// The key was first used with another payload.
        case differentPayload
        /// The first request with the key is still being processed.
        case inProgress
    }

    /// The status a reserved key holds until its request's answer is stored.
    static let inProgressStatus = 102

    /// The answer stored for `key`, or nil when it is unused. Throws ``Refusal`` when the key was
    /// used with another payload or its first request has not finished.
    func stored(userID: UUID, scope: String, key: String, fingerprint: String?) async throws -> IdempotencyRecord? {
        guard
            let record = try await IdempotencyRecord.query(on: db)
                .filter(\.$user.$id == userID).filter(\.$scope == scope).filter(\.$key == key).first()
        else { return nil }
        try Self.check(record, fingerprint: fingerprint)
        return record
    }

    static func check(_ record: IdempotencyRecord, fingerprint: String?) throws {
        if let stored = record.requestHash, let fingerprint, stored != fingerprint { throw Refusal.differentPayload }
        if record.statusCode == inProgressStatus { throw Refusal.inProgress }
    }

    /// Takes `key` for a request that is about to run: nil when it was free (the caller runs the
    /// work, then ``finish(_:statusCode:body:)`` or ``release(_:)``), or the stored answer of the
    /// first request. Two concurrent requests cannot both get nil: the row is unique.
    func reserve(userID: UUID, scope: String, key: String, fingerprint: String, now: Date) async throws
        -> (reservation: IdempotencyRecord?, earlier: IdempotencyRecord?)
    {
        if let earlier = try await stored(userID: userID, scope: scope, key: key, fingerprint: fingerprint) {
            return (nil, earlier)
        }
        let record = IdempotencyRecord()
        record.$user.id = userID
        record.scope = scope
        record.key = key
        record.requestHash = fingerprint
        record.statusCode = Self.inProgressStatus
        record.responseBody = "{}"
        record.createdAt = now
        do {
            try await record.create(on: db)
            return (record, nil)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // A concurrent twin reserved it first.
            guard let earlier = try await stored(userID: userID, scope: scope, key: key, fingerprint: fingerprint)
            else { throw Refusal.inProgress }
            return (nil, earlier)
        }
    }

    /// Stores the answer of a reserved key's request.
    func finish(_ reservation: IdempotencyRecord, statusCode: Int, body: String) async throws {
        reservation.statusCode = statusCode
        reservation.responseBody = body
        try await reservation.save(on: db)
    }

    /// Frees a reserved key whose request failed without an answer worth repeating, so a retry
    /// runs again.
    func release(_ reservation: IdempotencyRecord) async throws {
        try await reservation.delete(on: db)
    }

    /// Stores the answer of a request that ran without a reservation (its work has no effect to
    /// run twice). A concurrent twin with the same payload that stored first wins; another payload
    /// is refused.
    func remember(
        userID: UUID, scope: String, key: String, fingerprint: String, statusCode: Int, body: String, now: Date
    ) async throws {
        let record = IdempotencyRecord()
        record.$user.id = userID
        record.scope = scope
        record.key = key
        record.requestHash = fingerprint
        record.statusCode = statusCode
        record.responseBody = body
        record.createdAt = now
        do {
            try await record.create(on: db)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            _ = try await stored(userID: userID, scope: scope, key: key, fingerprint: fingerprint)
        }
    }

    /// How many keys are kept and the oldest and newest, for `GET /ops/admin/idempotency/stats`.
    func stats() async throws -> (total: Int, oldest: Date?, newest: Date?) {
        let total = try await IdempotencyRecord.query(on: db).count()
        let oldest = try await IdempotencyRecord.query(on: db).min(\.$createdAt)
        let newest = try await IdempotencyRecord.query(on: db).max(\.$createdAt)
        return (total, oldest, newest)
    }

    /// Deletes the keys created before `cutoff`; returns how many. Run it in a transaction: the
    /// count and the delete then see the same rows.
    func deleteCreated(before cutoff: Date) async throws -> Int {
        let doomed = IdempotencyRecord.query(on: db).filter(\.$createdAt < cutoff)
        let count = try await doomed.count()
        if count > 0 { try await IdempotencyRecord.query(on: db).filter(\.$createdAt < cutoff).delete() }
        return count
    }
}
