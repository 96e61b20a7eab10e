/// The account name (the `users.email` column) of a wallet user: `0x<lower-case address>@wallet.invalid`.
///
/// A wallet user has no mailbox; the name is unique, never deliverable (`.invalid` is reserved,
/// RFC 2606), names the address wherever operators see users, and keys the login throttle as an
/// email does. It is not a smoke-test or example address, so wallet users count as real users.
public enum WalletAccountName {
    public static let domain = "wallet.invalid"

    public static func make(for address: EthereumAddress) -> String {
        "\(address.lowercased)@\(domain)"
    }

    /// The address of a wallet account name; nil for any other email.
    public static func address(of email: String) -> EthereumAddress? {
        guard email.hasSuffix("@" + domain) else { return nil }
        return EthereumAddress(String(email.dropLast(domain.count + 1)))
    }

    public static func isWalletAccount(_ email: String) -> Bool { address(of: email) != nil }
}
