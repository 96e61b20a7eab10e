/// Shows enough of a key to recognise it and no more: `abc***xyz`.
public enum SecretMask {
    /// The first and last three characters around `***`; values of 8 characters or fewer are
    /// masked whole, since showing six of them would show most of the value.
    public static func mask(_ value: String) -> String {
        guard value.count > 8 else { return "***" }
        return "\(value.prefix(3))***\(value.suffix(3))"
    }
}
