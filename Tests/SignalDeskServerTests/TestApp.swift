import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// The databases every server test runs against: SQLite always, PostgreSQL when
/// SIGNALDESK_TEST_DATABASE_URL is set (scripts/test.sh starts a throwaway cluster).
enum TestDatabase: String, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    static let postgresURL: String? = ProcessInfo.processInfo.environment["SIGNALDESK_TEST_DATABASE_URL"]
        .flatMap { $0.isEmpty ? nil : $0 }

    static var all: [TestDatabase] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }
}

/// A configuration for tests: fresh secrets, cheap Bcrypt, nothing read from the environment.
func makeTestConfig(_ database: TestDatabase) throws -> AppConfig {
    let location: AppConfig.DatabaseLocation
    var searchPath: [String]?
    switch database {
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("signaldesk-tests")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        location = .sqlite(path: directory.appendingPathComponent("\(UUID().uuidString).sqlite").path)
    case .postgres:
        location = .postgres(url: TestDatabase.postgresURL!)
        searchPath = ["t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)]
    }
    var config = AppConfig(
        database: location,
        jwtSecret: Hex.encode(SecureBytes.random(count: 32)),
        keyRing: try KeyRing.parse(try KeyRing.generateEntry(id: "test1"))
    )
    config.postgresSearchPath = searchPath
    config.passwordHashCost = 4
    config.logLevel = .warning
    return config
}

/// Runs `body` with a configured, migrated application on `database`, isolated from every other
/// test (its own SQLite file or PostgreSQL schema), and removes what it created afterwards.
func withTestApp(
    _ database: TestDatabase,
    adjust: (inout AppConfig) -> Void = { _ in },
    migrate: Bool = true,
    _ body: (Application) async throws -> Void
) async throws {
    var config = try makeTestConfig(database)
    adjust(&config)
    do {
        try await withApp(config, migrate: migrate, body)
    } catch {
        await dropTestDatabase(config)
        throw error
    }
    await dropTestDatabase(config)
}

/// Gives `body` a configuration on a fresh isolated database and removes the database afterwards;
/// `body` may start several applications on it (``withApp(_:migrate:_:)``) to test restarts.
func withTestDatabase(_ database: TestDatabase, _ body: (AppConfig) async throws -> Void) async throws {
    let config = try makeTestConfig(database)
    do {
        try await body(config)
    } catch {
        await dropTestDatabase(config)
        throw error
    }
    await dropTestDatabase(config)
}

/// Runs `body` with an application on `config`'s database as it is: several calls on one config
/// are restarts of the server on the same data. Creates the PostgreSQL schema when missing.
func withApp(_ config: AppConfig, migrate: Bool = true, _ body: (Application) async throws -> Void) async throws {
    let app = try await Application.make(.testing)
    do {
        try await configure(app, config: config)
        if let schema = config.postgresSearchPath?.first {
            try await (app.db as! any SQLDatabase).raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
        }
        if migrate { try await app.autoMigrate() }
        try await body(app)
    } catch {
        if !app.didShutdown { try? await app.asyncShutdown() }
        throw error
    }
    // A test of the shutdown itself may already have shut the application down.
    if !app.didShutdown { try await app.asyncShutdown() }
}

/// Removes a test's database: its PostgreSQL schema or its SQLite files.
func dropTestDatabase(_ config: AppConfig) async {
    if let schema = config.postgresSearchPath?.first {
        do {
            let app = try await Application.make(.testing)
            try await configure(app, config: config)
            try await (app.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run()
            try await app.asyncShutdown()
        } catch {
            Issue.record("could not drop test schema \(schema): \(String(reflecting: error))")
        }
    }
    if case .sqlite(let path) = config.database {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

extension TestingHTTPResponse {
    /// The JSON body as a dictionary; records an issue (and returns an empty one) when it is not.
    func json(sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)),
            let dictionary = object as? [String: Any]
        else {
            Issue.record("body is not a JSON object: \(body.string)", sourceLocation: sourceLocation)
            return [:]
        }
        return dictionary
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
