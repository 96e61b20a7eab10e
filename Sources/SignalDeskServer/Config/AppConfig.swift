import Foundation
import Logging
import SignalDeskCore

/// Every setting of the server, parsed once at start-up (see docs/configuration.md).
///
/// Tests build one directly; nothing reads the process environment after start-up.
public struct AppConfig: Sendable {
    public enum DatabaseLocation: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)

        public var kind: String {
            switch self {
            case .sqlite: "sqlite"
            case .postgres: "postgres"
            }
        }
    }

    public enum ExecutionMode: String, Sendable, CaseIterable {
        case paper, testnet, live
    }

    public enum LogFormat: String, Sendable, CaseIterable {
        case text, json
    }

    public var database: DatabaseLocation
    /// PostgreSQL schema search path; tests use one schema per test.
    public var postgresSearchPath: [String]?
    public var jwtSecret: String
    public var keyRing: KeyRing
    public var bootstrapAdmin: (email: String, password: String)?
    public var riskProfileModel2Email: String?
    public var riskProfileLooseEmail: String?
    public var defaultCapitalUSD: Double
    /// MAX_OPEN_QTY_PER_SYMBOL: the most of one symbol a user may hold open (0, the default: no limit).
    public var symbolExposure: SymbolExposureLimit
    public var enforce2FAForAdmins: Bool
    public var enforce2FAEmails: Set<String>
    public var tradingDayTimeZone: TimeZone
    public var executionMode: ExecutionMode
    /// DYDX_NETWORK: the dYdX network whose credentials and indexer the user surface reads
    /// (mainnet only with EXECUTION_MODE=live).
    public var dydxNetwork: DydxNetwork
    /// DYDX_INDEXER_URL: the indexer `GET /api/user/account-balance` reads; nil: the network's public one.
    public var dydxIndexerURL: URL?
    /// DYDX_NODE_REST_URL: the node whose REST API gives account numbers and sequences and takes
    /// broadcasts (issue 23); nil: the network's public one (``DydxNetwork/publicNodeRESTURL``).
    public var dydxNodeRESTURL: URL?
    /// DYDX_CHAIN_ID: the chain id orders are signed for; the network's by default.
    public var dydxChainID: String
    public var binanceTestnetBaseURL: URL
    public var bybitBaseURL: URL
    public var ibkrBridgeBaseURL: URL?
    public var telegramAPIBaseURL: URL
    public var telegramBotToken: String?
    public var telegramChatID: String?
    public var webhookRatePerMinute: Int
    public var webhookMaxAgeSeconds: Int
    public var webhookAllowedIPs: [String]
    public var webhookRequireSignature: Bool
    public var workerEnabled: Bool
    /// SUBSCRIPTION_REQUIRED: the worker executes opens only for users whose subscription allows
    /// trading (issue 24).
    public var subscriptionRequired: Bool
    /// PASSWORD_MAX_AGE_DAYS and ENFORCE_PASSWORD_MAX_AGE (issue 25, group 14).
    public var passwordMaxAgeDays: Int
    public var enforcePasswordMaxAge: Bool
    /// SUPERUSER_EMAILS: normalized emails that pass every admin check (``AccountPolicy``).
    public var superuserEmails: Set<String>
    /// AUTO_EXIT_INTERNAL_PAUSE, _MAX_CLOSES_PER_TICK, _SYMBOL_COOLDOWN_SECONDS, _MAX_ERRORS_PER_TICK: the
    /// brakes on the closes of `POST /ops/admin/exit/tick` (crypto-saas's names and defaults).
    public var autoExitPolicy: ExitTick.Policy
    /// IDEMPOTENCY_KEY_MAX_AGE_DAYS: `POST /ops/admin/idempotency/cleanup` deletes keys older than this.
    public var idempotencyKeyMaxAgeDays: Int
    /// LEARNING_PIPELINE_ENABLED, LEARNING_LABEL_INTERVAL_MINUTES, LEARNING_ROLLUP_INTERVAL_MINUTES:
    /// `serve` labels due learning outcomes and refreshes the hourly rollups on these intervals
    /// (issue 25, group 13; crypto-saas's names and defaults).
    public var learningPipelineEnabled: Bool
    public var learningLabelIntervalMinutes: Int
    public var learningRollupIntervalMinutes: Int
    public var workerConcurrency: Int
    public var signalLeaseSeconds: Int
    public var paperFeeBps: Double
    public var paperSlippageBps: Double
    /// Deadline of one venue HTTP call.
    public var venueTimeoutSeconds: Double
    public var incidentURL: URL?
    /// The public address webhook URLs are built from; the request's Host header otherwise.
    public var publicBaseURL: URL?
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var port: Int
    public var maxBodyBytes: Int
    /// Bcrypt cost for new password hashes. 12 in every deployment; tests lower it.
    public var passwordHashCost: Int
    /// Apply pending migrations when `serve` starts (development default).
    public var autoMigrate: Bool

    /// A configuration with every default of docs/configuration.md and the given secrets.
    public init(database: DatabaseLocation, jwtSecret: String, keyRing: KeyRing) {
        self.database = database
        self.postgresSearchPath = nil
        self.jwtSecret = jwtSecret
        self.keyRing = keyRing
        self.bootstrapAdmin = nil
        self.riskProfileModel2Email = nil
        self.riskProfileLooseEmail = nil
        self.defaultCapitalUSD = 10_000
        self.symbolExposure = .off
        self.enforce2FAForAdmins = false
        self.enforce2FAEmails = []
        self.tradingDayTimeZone = TimeZone(identifier: "America/Bogota")!
        self.executionMode = .paper
        self.dydxNetwork = .testnet
        self.dydxIndexerURL = nil
        self.dydxNodeRESTURL = nil
        self.dydxChainID = DydxNetwork.testnet.chainID
        self.binanceTestnetBaseURL = URL(string: "https://testnet.binance.vision")!
        self.bybitBaseURL = URL(string: "https://api-testnet.bybit.com")!
        self.ibkrBridgeBaseURL = nil
        self.telegramAPIBaseURL = URL(string: "https://api.telegram.org")!
        self.telegramBotToken = nil
        self.telegramChatID = nil
        self.webhookRatePerMinute = 10
        self.webhookMaxAgeSeconds = 300
        self.webhookAllowedIPs = []
        self.webhookRequireSignature = false
        self.workerEnabled = true
        self.subscriptionRequired = false
        self.passwordMaxAgeDays = 90
        self.enforcePasswordMaxAge = false
        self.superuserEmails = []
        self.autoExitPolicy = ExitTick.Policy()
        self.idempotencyKeyMaxAgeDays = 30
        self.learningPipelineEnabled = true
        self.learningLabelIntervalMinutes = 5
        self.learningRollupIntervalMinutes = 60
        self.workerConcurrency = 4
        self.signalLeaseSeconds = 120
        self.paperFeeBps = 10
        self.paperSlippageBps = 5
        self.venueTimeoutSeconds = 5
        self.incidentURL = nil
        self.publicBaseURL = nil
        self.logLevel = .info
        self.logFormat = .text
        self.port = 8080
        self.maxBodyBytes = 65_536
        self.passwordHashCost = 12
        self.autoMigrate = false
    }
}
