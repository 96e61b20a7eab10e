import Crypto

/// A dYdX v4 account derived from a BIP-39 mnemonic: BIP-44 path `m/44'/118'/0'/0/0` (Cosmos
/// coin type 118), address bech32 `dydx` of RIPEMD-160(SHA-256(compressed public key)).
public struct DydxAccount: Sendable {
    public static let derivationPath = "m/44'/118'/0'/0/0"
    public static let addressPrefix = "dydx"

    public let privateKey: [UInt8]
    public let publicKey: [UInt8]
    public let address: String

    /// The account of `mnemonic`; nil only in the negligible case of an invalid BIP-32 child.
    public init?(mnemonic: BIP39.Mnemonic) {
        guard let master = BIP32Key(seed: BIP39.seed(of: mnemonic)),
            let key = master.derive(path: Self.derivationPath),
            let publicKey = Secp256k1.publicKey(privateKey: key.privateKey, compressed: true)
        else { return nil }
        self.privateKey = key.privateKey
        self.publicKey = publicKey
        self.address = Self.address(publicKey: publicKey)
    }

    /// The bech32 address of a 33-byte compressed key: `prefix` + RIPEMD-160(SHA-256(key)).
    public static func address(publicKey: [UInt8], prefix: String = addressPrefix) -> String {
        Bech32.encode(hrp: prefix, data: WalletDigest.ripemd160(Array(SHA256.hash(data: publicKey))))
    }
}
