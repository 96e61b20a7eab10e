/// The "real user" filter of contract.md: smoke-test, disabled and example accounts are not real.
public enum RealUser {
    public static func isReal(email: String) -> Bool {
        let email = email.lowercased()
        return
            !(email.hasPrefix("smoke.") || email.hasPrefix("disabled_") || email.hasSuffix("@example.com")
            || email.hasSuffix("@example.invalid"))
    }
}
