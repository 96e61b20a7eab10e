import Fluent
import Testing
import Vapor

@testable import SignalDeskServer

/// A background step that outlives its application's databases fails with an error instead of
/// stopping the process (Fluent's `db` force-unwraps; a left-behind outbox step crashed a test run).
@Suite struct LiveDatabaseTests {
    @Test(arguments: TestDatabase.all)
    func afterShutdownTheDatabaseIsAnErrorNotACrash(_ database: TestDatabase) async throws {
        let config = try makeTestConfig(database)
        let app = try await Application.make(.testing)
        try await configure(app, config: config)
        _ = try app.database
        // The moment a shutdown that gave up on a step reaches: the databases are shut down, the
        // application's storage not yet cleared; what a left-behind outbox step does then.
        await app.databases.shutdownAsync()
        #expect(throws: DatabasesShutDown.self) { _ = try app.database }
        await #expect(throws: DatabasesShutDown.self) {
            _ = try await OutboxMessage.query(on: try app.database).count()
        }
        try await app.asyncShutdown()
        await dropTestDatabase(config)
    }
}
