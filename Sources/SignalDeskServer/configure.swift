import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import NIOConcurrencyHelpers
import NIOSSL
import SQLKit
import SignalDeskCore
import Vapor

/// Configures `app` from `config`: database, migrations, middleware, routes and commands.
public func configure(_ app: Application, config: AppConfig) async throws {
    app.appConfig = config
    app.markStarted()
    app.logger.logLevel = config.logLevel
    app.http.server.configuration.port = config.port
    app.routes.defaultMaxBodySize = ByteCount(integerLiteral: config.maxBodyBytes)
    app.passwords.use(.bcrypt(cost: config.passwordHashCost))
    await app.installPasswordHashing()
    try app.installDecoyPasswordHash()
    await JWTKeys.install(on: app, secret: config.jwtSecret)
    JSONCoding.install()

    try configureDatabase(app, config: config)
    if case .sqlite(let path) = config.database, path != ":memory:" {
        // Write-ahead logging: readers and the writer no longer block each other (persistent per file).
        try await (app.db as! any SQLDatabase).raw("PRAGMA journal_mode=WAL").run()
    }
    app.sqliteWriteGate = AsyncGate()
    app.marketPrices = MarketPrices()
    app.killSwitch = KillSwitch()
    app.signalWakeup = SignalWakeup()
    app.priceWakeup = SignalWakeup()
    app.webhookRateLimiter = RateLimiter(limit: config.webhookRatePerMinute)
    if case .postgres = config.database {
        app.webhookEndpointBatcher = app.makeWebhookEndpointBatcher()
        app.webhookInsertBatcher = app.makeWebhookInsertBatcher()
    }
    app.venues = VenueRegistry(config: config, client: app.http.client.shared, prices: app.marketPrices)
    app.migrations.add(SignalDeskMigrations.all)

    app.middleware = Middlewares()
    app.middleware.use(RequestIDMiddleware())
    app.middleware.use(RouteLoggingMiddleware(logLevel: .info))
    app.middleware.use(MetricsMiddleware(metrics: app.metrics))
    app.middleware.use(APIErrorMiddleware())

    try routes(app)

    app.asyncCommands.use(SignalDeskMigrateCommand(), as: "migrate")
    app.asyncCommands.use(CreateAdminCommand(), as: "create-admin")
    app.asyncCommands.use(KeysCommand(), as: "keys")
    app.asyncCommands.use(WorkerCommand(), as: "worker")
}

private func configureDatabase(_ app: Application, config: AppConfig) throws {
    switch config.database {
    case .sqlite(let path) where path == ":memory:":
        app.databases.use(.sqlite(.memory), as: .sqlite)
    case .sqlite(let path):
        // SQLite runs its calls on the application's blocking thread pool, and a connection that
        // finds the file locked retries there until it is free. With the process-wide default pool
        // (one thread per core, shared by every application and by Bcrypt) waiting connections
        // can starve the one holding the lock; a pool of our own, larger than the connection
        // count, cannot be starved that way.
        app.threadPool = NIOThreadPool(numberOfThreads: 2 * System.coreCount + 2)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        app.databases.use(.sqlite(.file(path)), as: .sqlite)
    case .postgres(let url):
        var postgres = try SQLPostgresConfiguration(url: url)
        postgres.searchPath = config.postgresSearchPath
        postgres.coreConfiguration.options.connectTimeout = .seconds(5)
        app.databases.use(
            .postgres(configuration: postgres, maxConnectionsPerEventLoop: 8, connectionPoolTimeout: .seconds(5)),
            as: .psql
        )
    }
}

/// Prepares a `serve` run: migrations when AUTO_MIGRATE is on, the bootstrap admin, the background
/// loops, and the HTTP drain that a shutdown runs first (``HTTPServerDrain``).
public func prepareForServing(_ app: Application) async throws {
    if app.appConfig.autoMigrate {
        try await app.autoMigrate()
    }
    try await AdminAccounts.bootstrap(app: app)
    app.lifecycle.use(LeaseSweeper())
    app.lifecycle.use(AuditSealer())
    app.lifecycle.use(TelegramSender())
    app.lifecycle.use(PositionMonitor())
    if app.appConfig.workerEnabled { app.lifecycle.use(ExecutionWorker()) }
    // Last, so that it is the first to stop: requests finish before what they use stops.
    app.http.server.configuration.shutdownTimeout = HTTPServerDrain.timeout
    app.lifecycle.use(HTTPServerDrain())
}

/// JSON on the wire: snake_case keys and ISO-8601 dates, as crypto-saas clients expect; keys in
/// sorted order (Foundation's encoder on Linux writes an object's keys in a different order in
/// every process, so sorting is what makes the order stable), `/` unescaped, and every UUID in
/// lower case (``LowercaseUUIDs``). ``JSONCoding/encode(_:)`` is the one way to the wire: Vapor's
/// responses go through it (``WireJSONEncoder``), and so do stored answers.
/// DTO properties that are decoded are named without acronyms (`apiKey`, not `apiKEY`), because
/// snake_case decoding maps `api_key` to `apiKey`.
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom { path in SnakeCaseKeys.converted(path[path.count - 1]) }
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        // Not Foundation's convertFromSnakeCase, which drops keys with digits (SnakeCaseKey).
        decoder.keyDecodingStrategy = .custom { path in
            AnyKey(SnakeCaseKey.camelCased(path[path.count - 1].stringValue))
        }
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// The JSON text of `value` as a response carries it.
    static func encode<T: Encodable>(_ value: T, userInfo: [CodingUserInfoKey: any Sendable] = [:]) throws -> [UInt8] {
        let data: Data
        if userInfo.isEmpty {
            data = try encoder.encode(value)
        } else {
            let configured = JSONEncoder()
            configured.keyEncodingStrategy = encoder.keyEncodingStrategy
            configured.dateEncodingStrategy = encoder.dateEncodingStrategy
            configured.outputFormatting = encoder.outputFormatting
            configured.userInfo = userInfo
            data = try configured.encode(value)
        }
        var bytes = [UInt8](data)
        LowercaseUUIDs.apply(&bytes)
        return bytes
    }

    /// Vapor's content configuration is process-wide; installing the same coders twice is harmless.
    static func install() {
        ContentConfiguration.global.use(encoder: WireJSONEncoder(), for: .json)
        ContentConfiguration.global.use(decoder: decoder, for: .json)
    }
}

/// Vapor's JSON content encoder, through ``JSONCoding/encode(_:userInfo:)``.
struct WireJSONEncoder: ContentEncoder {
    func encode<E: Encodable>(_ encodable: E, to body: inout ByteBuffer, headers: inout HTTPHeaders) throws {
        try encode(encodable, to: &body, headers: &headers, userInfo: [:])
    }

    func encode<E: Encodable>(
        _ encodable: E, to body: inout ByteBuffer, headers: inout HTTPHeaders,
        userInfo: [CodingUserInfoKey: any Sendable]
    ) throws {
        headers.contentType = .json
        body.writeBytes(try JSONCoding.encode(encodable, userInfo: userInfo))
    }
}

/// A coding key made at run time.
struct AnyKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ stringValue: String) { self.stringValue = stringValue }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Foundation's `convertToSnakeCase`, remembered per key: the conversion walks every character of
/// every key of every object, which costs more than the rest of encoding a large list. Each distinct
/// key is converted once by Foundation itself, so the wire format is exactly the one clients know.
enum SnakeCaseKeys {
    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct Probe: Encodable {
        let key: String
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(0, forKey: Key(stringValue: key))
        }
    }

    private static let cache = NIOLockedValueBox<[String: String]>([:])

    static func converted(_ key: any CodingKey) -> any CodingKey {
        if key.intValue != nil { return key }
        let name = key.stringValue
        if let known = cache.withLockedValue({ $0[name] }) { return Key(stringValue: known) }
        let snake = foundationSnakeCase(name)
        cache.withLockedValue { $0[name] = snake }
        return Key(stringValue: snake)
    }

    static func foundationSnakeCase(_ name: String) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // A one-key object cannot fail to encode; should it ever, the key goes out unconverted.
        guard let data = try? encoder.encode(Probe(key: name)),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Int],
            let converted = object.keys.first
        else { return name }
        return converted
    }
}
