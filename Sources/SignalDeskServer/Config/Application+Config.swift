import Vapor

extension Application {
    private struct AppConfigKey: StorageKey {
        typealias Value = AppConfig
    }

    /// The configuration this application was configured with.
    public var appConfig: AppConfig {
        get {
            guard let config = storage[AppConfigKey.self] else {
                fatalError("configure(_:config:) must run before the configuration is read")
            }
            return config
        }
        set { storage[AppConfigKey.self] = newValue }
    }
}
