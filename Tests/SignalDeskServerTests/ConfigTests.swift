import Foundation
import SignalDeskCore
import Testing

@testable import SignalDeskServer

@Suite struct ConfigTests {
    static let key = String(repeating: "ab", count: 32)
    static let minimal = ["JWT_SECRET": String(repeating: "j", count: 32), "ENCRYPTION_KEYS": "k1:\(key)"]

    func problems(_ overrides: [String: String], production: Bool = false) -> [String] {
        do {
            _ = try AppConfig.parse(environment: Self.minimal.merging(overrides) { $1 }, production: production)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func defaultsMatchTheConfigurationTable() throws {
        let config = try AppConfig.parse(environment: Self.minimal, production: false)
        #expect(config.database == .sqlite(path: "var/signaldesk.sqlite"))
        #expect(config.defaultCapitalUSD == 10_000)
        #expect(config.tradingDayTimeZone.identifier == "America/Bogota")
        #expect(config.executionMode == .paper)
        #expect(config.binanceTestnetBaseURL.absoluteString == "https://testnet.binance.vision")
        #expect(config.bybitBaseURL.absoluteString == "https://api-testnet.bybit.com")
        #expect(config.ibkrBridgeBaseURL == nil)
        #expect(config.telegramAPIBaseURL.absoluteString == "https://api.telegram.org")
        #expect(config.webhookRatePerMinute == 10)
        #expect(config.webhookMaxAgeSeconds == 300)
        #expect(config.webhookAllowedIPs.isEmpty && !config.webhookRequireSignature)
        #expect(config.workerEnabled && config.workerConcurrency == 4 && config.signalLeaseSeconds == 120)
        #expect(!config.enforce2FAForAdmins && config.enforce2FAEmails.isEmpty)
        #expect(config.logLevel == .info && config.logFormat == .text)
        #expect(config.port == 8080 && config.autoMigrate)
        #expect(config.keyRing.activeKeyID == "k1")
        let production = try AppConfig.parse(environment: Self.minimal, production: true)
        #expect(production.logFormat == .json && !production.autoMigrate)
    }

    @Test func everyVariableIsRead() throws {
        let config = try AppConfig.parse(
            environment: Self.minimal.merging([
                "DATABASE_URL": "postgres://sd:pw@db.internal:5433/signaldesk",
                "BOOTSTRAP_ADMIN_EMAIL": "Admin@Example.com", "BOOTSTRAP_ADMIN_PASSWORD": "long-enough-pw",
                "RISK_PROFILE_MODEL2_EMAIL": "m2@example.com", "RISK_PROFILE_LOOSE_EMAIL": "loose@example.com",
                "DEFAULT_CAPITAL_USD": "25000.5", "ENFORCE_2FA_FOR_ADMINS": "true",
                "ENFORCE_2FA_EMAILS": "A@x.io, b@y.io", "TRADING_DAY_TZ": "Asia/Tokyo", "EXECUTION_MODE": "testnet",
                "BINANCE_TESTNET_BASE_URL": "http://127.0.0.1:9001", "BYBIT_BASE_URL": "http://127.0.0.1:9002",
                "IBKR_BRIDGE_BASE_URL": "http://127.0.0.1:9003", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9004",
                "TELEGRAM_BOT_TOKEN": "123:" + String(repeating: "t", count: 35), "TELEGRAM_CHAT_ID": "-100123",
                "WEBHOOK_RATE_PER_MINUTE": "30", "WEBHOOK_MAX_AGE_SECONDS": "60",
                "WEBHOOK_ALLOWED_IPS": "52.89.214.238, ::1", "WEBHOOK_REQUIRE_SIGNATURE": "yes",
                "WORKER_ENABLED": "false", "WORKER_CONCURRENCY": "8", "SIGNAL_LEASE_SECONDS": "30",
                "INCIDENT_URL": "https://status.example.com/new", "LOG_LEVEL": "debug", "LOG_FORMAT": "json",
                "PORT": "9090", "MAX_BODY_BYTES": "4096", "AUTO_MIGRATE": "false",
            ]) { $1 }, production: false)
        #expect(config.database == .postgres(url: "postgres://sd:pw@db.internal:5433/signaldesk"))
        #expect(config.bootstrapAdmin?.email == "admin@example.com")
        #expect(
            config.riskProfileModel2Email == "m2@example.com" && config.riskProfileLooseEmail == "loose@example.com")
        #expect(config.defaultCapitalUSD == 25_000.5 && config.enforce2FAForAdmins)
        #expect(config.enforce2FAEmails == ["a@x.io", "b@y.io"])
        #expect(config.tradingDayTimeZone.identifier == "Asia/Tokyo" && config.executionMode == .testnet)
        #expect(config.ibkrBridgeBaseURL?.port == 9003 && config.telegramAPIBaseURL.port == 9004)
        #expect(config.telegramChatID == "-100123" && config.telegramBotToken != nil)
        #expect(config.webhookRatePerMinute == 30 && config.webhookMaxAgeSeconds == 60)
        #expect(config.webhookAllowedIPs == ["52.89.214.238", "::1"] && config.webhookRequireSignature)
        #expect(!config.workerEnabled && config.workerConcurrency == 8 && config.signalLeaseSeconds == 30)
        #expect(config.incidentURL?.host == "status.example.com")
        #expect(config.logLevel == .debug && config.logFormat == .json)
        #expect(config.port == 9090 && config.maxBodyBytes == 4096 && !config.autoMigrate)
    }

    @Test(arguments: [
        "mysql://u:p@h/db", "postgres://", "postgres://user@/db", "postgres://user:pw@host", "sqlite:",
        "postgres://user:pw@host:99999/db", "not a url",
    ])
    func malformedDatabaseURLIsRefusedWithoutEchoingIt(_ url: String) {
        let found = problems(["DATABASE_URL": url])
        #expect(found == ["DATABASE_URL must be sqlite:PATH or postgres://user:password@host:port/database"])
    }

    @Test func sqliteURLForms() throws {
        #expect(DatabaseURL.parse("sqlite:var/x.sqlite") == .sqlite(path: "var/x.sqlite"))
        #expect(DatabaseURL.parse("sqlite:///tmp/x.sqlite") == .sqlite(path: "/tmp/x.sqlite"))
        #expect(DatabaseURL.parse("postgresql://u:p@localhost/db") == .postgres(url: "postgresql://u:p@localhost/db"))
    }

    @Test func encryptionKeyEntriesMustBe64Hex() {
        #expect(
            problems(["ENCRYPTION_KEYS": "k1:abcdef"]) == [
                "ENCRYPTION_KEYS: key 'k1' is not 64 hexadecimal characters (32 bytes)"
            ])
        #expect(problems(["ENCRYPTION_KEYS": "k2:\(Self.key),k1"]).first?.contains("entry 2") == true)
    }

    @Test func passphraseFormIsAOneKeyRing() throws {
        var environment = Self.minimal
        environment["ENCRYPTION_KEYS"] = nil
        environment["ENCRYPTION_KEY"] = "a long passphrase"
        let config = try AppConfig.parse(environment: environment, production: true)
        #expect(config.keyRing.keys.count == 1 && config.keyRing.activeKeyID.hasPrefix("pass-"))
    }

    @Test func productionRefusesToStartWithoutSecrets() {
        do {
            _ = try AppConfig.parse(environment: [:], production: true)
            Issue.record("expected a configuration error")
        } catch {
            #expect(error.problems.contains { $0.hasPrefix("JWT_SECRET is required") })
            #expect(error.problems.contains { $0.hasPrefix("ENCRYPTION_KEYS (or ENCRYPTION_KEY) is required") })
        }
    }

    @Test func everyProblemIsReportedAndNoSecretIsEchoed() {
        let shortSecret = "too-short-secret"
        let found = problems([
            "JWT_SECRET": shortSecret, "WORKER_CONCURRENCY": "0", "ENFORCE_2FA_FOR_ADMINS": "maybe",
            "TRADING_DAY_TZ": "Mars/Olympus", "EXECUTION_MODE": "yolo", "LOG_LEVEL": "loud",
            "BYBIT_BASE_URL": "ftp://x", "DEFAULT_CAPITAL_USD": "-5", "WEBHOOK_ALLOWED_IPS": "1.2.3.4,999.1.1.1",
            "TELEGRAM_BOT_TOKEN": "abc", "BOOTSTRAP_ADMIN_EMAIL": "root@example.com",
        ])
        #expect(found.count == 11, "\(found)")
        #expect(found.contains("JWT_SECRET must be at least 32 bytes long"))
        #expect(found.contains("WORKER_CONCURRENCY must be an integer from 1 to 64"))
        #expect(found.contains("EXECUTION_MODE must be one of: paper, testnet, live"))
        #expect(found.contains("WEBHOOK_ALLOWED_IPS entry '999.1.1.1' is not an IPv4 or IPv6 address"))
        #expect(!found.joined().contains(shortSecret))
        #expect(!found.joined().contains("abc"))
    }

    @Test func environmentFileSyntax() throws {
        let parsed = try EnvironmentFile.parse(
            """
            # comment
            export PORT=9000
            LOG_LEVEL = "debug"
            INCIDENT_URL='https://x.example/a=b'

            """, path: ".env")
        #expect(parsed == ["PORT": "9000", "LOG_LEVEL": "debug", "INCIDENT_URL": "https://x.example/a=b"])
        #expect(throws: EnvironmentFile.ParseError.self) { try EnvironmentFile.parse("JUST_A_WORD", path: ".env") }
    }

    @Test func developmentSecretsAreGeneratedOnceAndProcessEnvironmentWins() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sd-config-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "PORT=9100\nLOG_LEVEL=debug\n".write(toFile: directory + "/.env", atomically: true, encoding: .utf8)

        let (first, notices) = try ConfigLoader.load(
            processEnvironment: ["PORT": "9200"], production: false, directory: directory)
        #expect(first.port == 9200 && first.logLevel == .debug)
        #expect(notices.first?.hasPrefix("Generated development secrets") == true)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/var/dev-secrets.env")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let (second, _) = try ConfigLoader.load(processEnvironment: [:], production: false, directory: directory)
        #expect(second.jwtSecret == first.jwtSecret)
        #expect(second.keyRing.activeKeyID == "dev1")

        #expect(throws: ConfigError.self) {
            try ConfigLoader.load(processEnvironment: [:], production: true, directory: directory)
        }
    }
}
