import Fluent
import Foundation
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct AuditLogTests {
    @Test func secretLookingKeysAreRedactedWhateverTheCallerPasses() {
        let sanitized = AuditLog.sanitized([
            "password": "hunter2", "api_secret": "s", "webhook_secret": "w", "refresh_token": "r", "otp": "123456",
            "api_key": "k", "X-Signature": "sig", "totp_seed": "seed", "email": "ana@example.com", "secret_count": 3,
        ])
        for key in [
            "password", "api_secret", "webhook_secret", "refresh_token", "otp", "api_key", "X-Signature", "totp_seed",
        ] {
            #expect(sanitized[key] == .string("[redacted]"), "\(key) was not redacted")
        }
        #expect(sanitized["email"] == .string("ana@example.com"))
        #expect(sanitized["secret_count"] == .int(3))
    }

    @Test(arguments: TestDatabase.all)
    func rowsAreWrittenWithJSONDetails(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            try await AuditLog.record(
                .securityPostureRead, userID: nil, entityType: "thing", entityID: "42",
                details: ["reason": "test", "password": "hunter2", "n": 2], on: app.db)
            let row = try #require(try await AuditEntry.query(on: app.db).first())
            #expect(row.action == "security.posture.read" && row.entityType == "thing" && row.entityID == "42")
            #expect(row.details == #"{"n":2,"password":"[redacted]","reason":"test"}"#)
            #expect(row.id != nil)
        }
    }
}
