/// Every problem found in the configuration, reported together so one start-up shows them all.
/// Messages name the variable and the rule, never the value (it may be a secret).
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let problems: [String]

    public var description: String {
        "Invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
