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
    installStores(app)
    if case .sqlite(let path) = config.database, path != ":memory:" {
        // Write-ahead logging: readers and the writer no longer block each other (persistent per file).
        try await (app.db as! any SQLDatabase).raw("PRAGMA journal_mode=WAL").run()
    }
    app.marketPrices = MarketPrices()
    app.tradingSettings = TradingSettingsCache()
    app.killSwitch = KillSwitch()
    app.signalWakeup = SignalWakeup()
    app.priceWakeup = SignalWakeup()
    app.webhookRateLimiter = RateLimiter(limit: config.webhookRatePerMinute)
    app.walletMessageLimits = WalletMessageLimits()
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
    app.asyncCommands.use(SubscriptionsCommand(), as: "subscriptions")
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
    app.lifecycle.use(SubscriptionSweep())
    if app.appConfig.learningPipelineEnabled {
        app.lifecycle.use(
            LearningPipelineLoop(
                labelIntervalMinutes: app.appConfig.learningLabelIntervalMinutes,
                rollupIntervalMinutes: app.appConfig.learningRollupIntervalMinutes))
    }
    if app.appConfig.workerEnabled { app.lifecycle.use(ExecutionWorker()) }
    // Last, so that it is the first to stop: requests finish before what they use stops.
    app.http.server.configuration.shutdownTimeout = HTTPServerDrain.timeout
    app.lifecycle.use(HTTPServerDrain())
}
