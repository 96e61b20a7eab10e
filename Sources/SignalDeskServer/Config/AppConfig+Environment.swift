import Foundation
import Logging
import PostgresKit
import SignalDeskCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension AppConfig {
    /// Parses the configuration from environment variables (already merged from the process,
    /// `.env` and, in development, `var/dev-secrets.env`). Empty values count as unset.
    ///
    /// - Parameter production: production refuses to start without `JWT_SECRET` and a key ring.
    public static func parse(environment: [String: String], production: Bool) throws(ConfigError) -> AppConfig {
        var reader = EnvironmentReader(environment)

        let database = reader.database()
        let jwtSecret = reader.jwtSecret()
        let keyRing = reader.keyRing(production: production)

        var config = AppConfig(
            database: database ?? .sqlite(path: "var/signaldesk.sqlite"),
            jwtSecret: jwtSecret ?? "",
            keyRing: keyRing ?? Self.placeholderRing
        )
        if let email = reader.email("BOOTSTRAP_ADMIN_EMAIL") {
            if let password = reader.string("BOOTSTRAP_ADMIN_PASSWORD"), password.count >= 8 {
                config.bootstrapAdmin = (email, password)
            } else {
                reader.problem(
                    "BOOTSTRAP_ADMIN_PASSWORD must be set (at least 8 characters) when BOOTSTRAP_ADMIN_EMAIL is")
            }
        }
        config.riskProfileModel2Email = reader.email("RISK_PROFILE_MODEL2_EMAIL")
        config.riskProfileLooseEmail = reader.email("RISK_PROFILE_LOOSE_EMAIL")
        config.defaultCapitalUSD = reader.positiveDouble("DEFAULT_CAPITAL_USD") ?? config.defaultCapitalUSD
        if let maxQty = reader.double("MAX_OPEN_QTY_PER_SYMBOL", in: 0...1e15) {
            config.symbolExposure = SymbolExposureLimit(maxOpenQty: maxQty)
        }
        config.enforce2FAForAdmins = reader.bool("ENFORCE_2FA_FOR_ADMINS") ?? false
        config.enforce2FAEmails = Set(reader.list("ENFORCE_2FA_EMAILS").map { $0.lowercased() })
        config.tradingDayTimeZone = reader.timeZone("TRADING_DAY_TZ") ?? config.tradingDayTimeZone
        config.executionMode = reader.choice("EXECUTION_MODE", ExecutionMode.self) ?? .paper
        config.dydxNetwork = reader.choice("DYDX_NETWORK", DydxNetwork.self) ?? .testnet
        if config.dydxNetwork == .mainnet && config.executionMode != .live {
            reader.problem("DYDX_NETWORK=mainnet requires EXECUTION_MODE=live")
        }
        config.dydxIndexerURL = reader.httpURL("DYDX_INDEXER_URL")
        config.dydxNodeRESTURL = reader.httpURL("DYDX_NODE_REST_URL")
        if let chainID = reader.string("DYDX_CHAIN_ID") {
            if let problem = DydxChainID.problem(chainID, network: config.dydxNetwork) {
                reader.problem(problem)
            } else {
                config.dydxChainID = chainID
            }
        } else {
            config.dydxChainID = config.dydxNetwork.chainID
        }
        config.binanceTestnetBaseURL = reader.httpURL("BINANCE_TESTNET_BASE_URL") ?? config.binanceTestnetBaseURL
        config.bybitBaseURL = reader.httpURL("BYBIT_BASE_URL") ?? config.bybitBaseURL
        config.ibkrBridgeBaseURL = reader.httpURL("IBKR_BRIDGE_BASE_URL")
        config.telegramAPIBaseURL = reader.httpURL("TELEGRAM_API_BASE_URL") ?? config.telegramAPIBaseURL
        config.telegramBotToken = reader.telegramBotToken("TELEGRAM_BOT_TOKEN")
        config.telegramChatID = reader.integerString("TELEGRAM_CHAT_ID")
        config.webhookRatePerMinute = reader.integer("WEBHOOK_RATE_PER_MINUTE", in: 1...100_000) ?? 10
        config.webhookMaxAgeSeconds = reader.integer("WEBHOOK_MAX_AGE_SECONDS", in: 1...86_400) ?? 300
        config.webhookAllowedIPs = reader.ipAddresses("WEBHOOK_ALLOWED_IPS")
        config.webhookRequireSignature = reader.bool("WEBHOOK_REQUIRE_SIGNATURE") ?? false
        config.workerEnabled = reader.bool("WORKER_ENABLED") ?? true
        config.subscriptionRequired = reader.bool("SUBSCRIPTION_REQUIRED") ?? false
        config.passwordMaxAgeDays = reader.integer("PASSWORD_MAX_AGE_DAYS", in: 1...3650) ?? 90
        config.enforcePasswordMaxAge = reader.bool("ENFORCE_PASSWORD_MAX_AGE") ?? false
        config.superuserEmails = Set(reader.list("SUPERUSER_EMAILS").map(EmailAddress.normalized))
        for email in config.superuserEmails where !EmailAddress.isValid(email) {
            reader.problem("SUPERUSER_EMAILS entry '\(email)' is not an email address")
        }
        config.autoExitPolicy = ExitTick.Policy(
            paused: reader.bool("AUTO_EXIT_INTERNAL_PAUSE") ?? false,
            maxClosesPerTick: reader.integer("AUTO_EXIT_INTERNAL_MAX_CLOSES_PER_TICK", in: 0...10_000) ?? 2,
            symbolCooldownSeconds: reader.integer("AUTO_EXIT_INTERNAL_SYMBOL_COOLDOWN_SECONDS", in: 0...604_800) ?? 300,
            maxErrorsPerTick: reader.integer("AUTO_EXIT_INTERNAL_MAX_ERRORS_PER_TICK", in: 1...10_000) ?? 3)
        config.idempotencyKeyMaxAgeDays = reader.integer("IDEMPOTENCY_KEY_MAX_AGE_DAYS", in: 1...3650) ?? 30
        config.learningPipelineEnabled = reader.bool("LEARNING_PIPELINE_ENABLED") ?? true
        config.learningLabelIntervalMinutes = reader.integer("LEARNING_LABEL_INTERVAL_MINUTES", in: 1...1440) ?? 5
        config.learningRollupIntervalMinutes = reader.integer("LEARNING_ROLLUP_INTERVAL_MINUTES", in: 1...1440) ?? 60
        config.workerConcurrency = reader.integer("WORKER_CONCURRENCY", in: 1...64) ?? 4
        config.signalLeaseSeconds = reader.integer("SIGNAL_LEASE_SECONDS", in: 5...86_400) ?? 120
        config.paperFeeBps = reader.double("PAPER_FEE_BPS", in: 0...1_000) ?? config.paperFeeBps
        config.paperSlippageBps = reader.double("PAPER_SLIPPAGE_BPS", in: 0...1_000) ?? config.paperSlippageBps
        config.venueTimeoutSeconds = reader.double("VENUE_TIMEOUT_SECONDS", in: 0.1...60) ?? config.venueTimeoutSeconds
        config.incidentURL = reader.httpURL("INCIDENT_URL")
        config.publicBaseURL = reader.httpURL("PUBLIC_BASE_URL")
        config.logLevel = reader.logLevel("LOG_LEVEL") ?? .info
        config.logFormat = reader.choice("LOG_FORMAT", LogFormat.self) ?? (production ? .json : .text)
        config.port = reader.integer("PORT", in: 1...65_535) ?? 8080
        config.maxBodyBytes = reader.integer("MAX_BODY_BYTES", in: 1_024...16_777_216) ?? config.maxBodyBytes
        config.autoMigrate = reader.bool("AUTO_MIGRATE") ?? !production

        if !reader.problems.isEmpty { throw ConfigError(problems: reader.problems) }
        return config
    }

    /// Stands in only while problems are being collected; a config with problems is never returned.
    private static let placeholderRing = try! KeyRing(keys: [
        KeyRing.Key(id: "unset", bytes: [UInt8](repeating: 0, count: 32))
    ])
}

/// Reads typed values from the environment, collecting a problem per invalid variable.
struct EnvironmentReader {
    private let environment: [String: String]
    private(set) var problems: [String] = []

    init(_ environment: [String: String]) {
        self.environment = environment
    }

    mutating func problem(_ message: String) {
        problems.append(message)
    }

    func string(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            return nil
        }
        return value
    }

    mutating func database() -> AppConfig.DatabaseLocation? {
        guard let url = string("DATABASE_URL") else { return nil }
        guard let location = DatabaseURL.parse(url) else {
            problem("DATABASE_URL must be sqlite:PATH or postgres://user:password@host:port/database")
            return nil
        }
        return location
    }

    mutating func jwtSecret() -> String? {
        guard let secret = string("JWT_SECRET") else {
            problem("JWT_SECRET is required (at least 32 bytes); `signaldesk keys generate` prints one")
            return nil
        }
        guard secret.utf8.count >= 32 else {
            problem("JWT_SECRET must be at least 32 bytes long")
            return nil
        }
        return secret
    }

    mutating func keyRing(production: Bool) -> KeyRing? {
        do {
            if let keys = string("ENCRYPTION_KEYS") {
                return try KeyRing.parse(keys)
            }
            if let passphrase = string("ENCRYPTION_KEY") {
                return try KeyRing.derived(fromPassphrase: passphrase)
            }
        } catch {
            problem("ENCRYPTION_KEYS: \(error.description)")
            return nil
        }
        problem("ENCRYPTION_KEYS (or ENCRYPTION_KEY) is required; `signaldesk keys generate` prints one")
        return nil
    }

    mutating func email(_ name: String) -> String? {
        guard let value = string(name) else { return nil }
        guard EmailAddress.isValid(value) else {
            problem("\(name) must be an email address")
            return nil
        }
        return value.lowercased()
    }

    mutating func bool(_ name: String) -> Bool? {
        guard let value = string(name) else { return nil }
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default:
            problem("\(name) must be true or false")
            return nil
        }
    }

    mutating func integer(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = string(name) else { return nil }
        guard let number = Int(value), range.contains(number) else {
            problem("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return number
    }

    mutating func integerString(_ name: String) -> String? {
        guard let value = string(name) else { return nil }
        guard Int64(value) != nil else {
            problem("\(name) must be an integer")
            return nil
        }
        return value
    }

    mutating func positiveDouble(_ name: String) -> Double? {
        guard let value = string(name) else { return nil }
        guard let number = Double(value), number.isFinite, number > 0 else {
            problem("\(name) must be a positive number")
            return nil
        }
        return number
    }

    mutating func double(_ name: String, in range: ClosedRange<Double>) -> Double? {
        guard let value = string(name) else { return nil }
        guard let number = Double(value), number.isFinite, range.contains(number) else {
            problem(
                "\(name) must be a number from \(PretradeCheck.number(range.lowerBound)) to \(PretradeCheck.number(range.upperBound))"
            )
            return nil
        }
        return number
    }

    mutating func list(_ name: String) -> [String] {
        guard let value = string(name) else { return [] }
        return value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) -> T?
    where T.RawValue == String {
        guard let value = string(name) else { return nil }
        guard let choice = T(rawValue: value.lowercased()) else {
            problem("\(name) must be one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return choice
    }

    mutating func timeZone(_ name: String) -> TimeZone? {
        guard let value = string(name) else { return nil }
        guard let zone = TimeZone(identifier: value) else {
            problem("\(name) must be an IANA time zone such as America/Bogota")
            return nil
        }
        return zone
    }

    mutating func httpURL(_ name: String) -> URL? {
        guard let value = string(name) else { return nil }
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host?.isEmpty == false
        else {
            problem("\(name) must be an http:// or https:// URL")
            return nil
        }
        return url
    }

    mutating func telegramBotToken(_ name: String) -> String? {
        guard let value = string(name) else { return nil }
        guard TelegramBotToken.isValid(value) else {
            problem("\(name) must look like <digits>:<at least 35 characters>")
            return nil
        }
        return value
    }

    mutating func ipAddresses(_ name: String) -> [String] {
        let entries = list(name)
        for entry in entries where !IPAddress.isValid(entry) {
            problem("\(name) entry '\(entry)' is not an IPv4 or IPv6 address")
        }
        return entries
    }

    mutating func logLevel(_ name: String) -> Logger.Level? {
        guard let value = string(name) else { return nil }
        guard let level = Logger.Level(rawValue: value.lowercased()) else {
            problem("\(name) must be one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return level
    }
}

/// The two database URL forms of `DATABASE_URL`.
enum DatabaseURL {
    static func parse(_ value: String) -> AppConfig.DatabaseLocation? {
        if value.hasPrefix("sqlite:") {
            var path = String(value.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            return path.isEmpty ? nil : .sqlite(path: path)
        }
        guard let components = URLComponents(string: value),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql",
            components.host?.isEmpty == false,
            components.user?.isEmpty == false,
            components.path.count > 1,
            (try? SQLPostgresConfiguration(url: value)) != nil
        else { return nil }
        if let port = components.port, !(1...65_535).contains(port) { return nil }
        return .postgres(url: value)
    }
}

/// Numeric IPv4 and IPv6 addresses, checked by the C library's parser.
enum IPAddress {
    static func isValid(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
