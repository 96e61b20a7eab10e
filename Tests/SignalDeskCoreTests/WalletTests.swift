import SignalDeskCore
import Testing

/// REFERENCE.md "Wallets and dYdX v4" vectors, and edge cases printed by
/// scripts/vectors/wallet_vectors.py (eth-account 0.14.0, coincurve 21.0.0 and bip-utils 2.12.3
/// from PyPI, independent of the code under test).
@Suite struct WalletTests {
    static let referenceKey = Hex.decode("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")!
    static let referenceAddress = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
    static let referenceMessage =
        "Sign this message to authenticate with SignalDesk.\n\nWallet: 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23\nNonce: 8f2c1d\nIssued At: 2026-12-03T14:00:00Z"
    static let referenceSignature =
        "1da227a1dca8e80c867f93359a63b347ab8f5b413e360627f45533fef57339c0326690687bffc42021790c6af42c185377bbabd646361d2eac780b1cf23615751c"

    // wallet_vectors.py: the same key over a second message.
    static let edgeMessage =
        "Sign this message to authenticate with SignalDesk.\n\nWallet: 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23\nNonce: edge-1\nIssued At: 2026-12-03T15:00:00Z"
    static let edgeRS =
        "4ca49cec6b6d62e16c3d0110d9d4bb41ab6dc0e313582d66df4fc675edc33a8f4bf205c3cfa3e28ce0773a0b9352a22bae839238eb4314fcad4f0d6c7b02c02d"
    /// (r, n - s, v flipped): coincurve recovers the same address from it.
    static let edgeHighS =
        "4ca49cec6b6d62e16c3d0110d9d4bb41ab6dc0e313582d66df4fc675edc33a8fb40dfa3c305c1d731f88c5f46cad5dd30c2b4aadc4058b3f12835120553381141b"
    /// Private key 0x11…11 signing edgeMessage.
    static let otherSignature =
        "f0b7e1baaa27941b79c8849237c6c02f2cb9cb89ce198a47a06628cef79cec8d3697b79bf351035e925db65401ffd2b715f8890be705910c9d5eb0427725393e1b"
    static let otherAddress = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"

    @Test func digestsMatchKnownValues() {
        // Keccak-256 of nothing differs from SHA3-256's a7ffc6f8…: the padding is Keccak's.
        #expect(
            Hex.encode(WalletDigest.keccak256([UInt8]()))
                == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(Hex.encode(WalletDigest.ripemd160(Array("abc".utf8))) == "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc")
    }

    @Test func referencePrivateKeyGivesTheReferenceAddress() throws {
        let publicKey = try #require(Secp256k1.publicKey(privateKey: Self.referenceKey, compressed: false))
        #expect(EthereumAddress(publicKey: publicKey)?.checksummed == Self.referenceAddress)
    }

    @Test func referenceSignatureRecoversTheReferenceAddress() throws {
        let address = try PersonalSign.recoverAddress(
            message: Self.referenceMessage, signature: Self.referenceSignature)
        #expect(address.checksummed == Self.referenceAddress)
        #expect(
            PersonalSign.sign(message: Self.referenceMessage, privateKey: Self.referenceKey) == "0x"
                + Self.referenceSignature)
    }

    @Test(arguments: ["1c", "01"], [true, false])
    func everyFormOfVAndPrefixRecovers(v: String, prefixed: Bool) throws {
        let text = (prefixed ? "0x" : "") + Self.edgeRS + v
        #expect(
            try PersonalSign.recoverAddress(message: Self.edgeMessage, signature: text).checksummed
                == Self.referenceAddress)
        #expect(
            try PersonalSign.recoverAddress(
                message: Self.edgeMessage, signature: text.uppercased().replacingOccurrences(of: "0X", with: "0x")
            ).checksummed == Self.referenceAddress)
    }

    @Test func vOfTheOtherParityRecoversAnotherAddressOrNone() {
        // 27 and 28 (0 and 1) select different keys: the wrong one never gives the signer.
        for v in ["1b", "00"] {
            let recovered = try? PersonalSign.recoverAddress(message: Self.edgeMessage, signature: Self.edgeRS + v)
            #expect(recovered?.checksummed != Self.referenceAddress)
        }
    }

    @Test func highSTwinIsRefused() {
        #expect(throws: PersonalSign.SignatureError.highS) {
            try PersonalSign.recoverAddress(message: Self.edgeMessage, signature: Self.edgeHighS)
        }
    }

    @Test(arguments: ["02", "1d", "25", "ff"])
    func otherVIsRefused(v: String) {
        #expect(throws: PersonalSign.SignatureError.badRecoveryID) {
            try PersonalSign.recoverAddress(message: Self.edgeMessage, signature: Self.edgeRS + v)
        }
    }

    @Test func wrongLengthsAndNonHexAreMalformed() {
        let full = Self.edgeRS + "1c"
        for text in [
            "", "0x", String(full.dropLast(2)), full + "00", String(full.dropLast(1)), "zz" + full.dropFirst(2),
            "0x0x" + full,
        ] {
            #expect(throws: PersonalSign.SignatureError.malformed) {
                try PersonalSign.recoverAddress(message: Self.edgeMessage, signature: text)
            }
        }
    }

    @Test func anotherKeysSignatureRecoversAnotherAddress() throws {
        let address = try PersonalSign.recoverAddress(message: Self.edgeMessage, signature: Self.otherSignature)
        #expect(address.checksummed == Self.otherAddress)
        #expect(address != EthereumAddress(Self.referenceAddress))
    }

    @Test func alteredMessageRecoversAnotherAddress() throws {
        let altered = Self.referenceMessage.replacingOccurrences(of: "8f2c1d", with: "8f2c1e")
        let address = try? PersonalSign.recoverAddress(message: altered, signature: Self.referenceSignature)
        #expect(address != EthereumAddress(Self.referenceAddress))
    }

    @Test func addressParsingAcceptsOneCaseOrACorrectChecksum() throws {
        let lower = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23"
        let upper = "0x2C7536E3605D9C16A7A3D7B1898E529396A65C23"
        let checksummed = try #require(EthereumAddress(Self.referenceAddress))
        #expect(EthereumAddress(lower) == checksummed)
        #expect(EthereumAddress(upper) == checksummed)
        #expect(EthereumAddress(lower)?.checksummed == Self.referenceAddress)
        #expect(checksummed.lowercased == lower)
        #expect(EthereumAddress(Self.otherAddress)?.checksummed == Self.otherAddress)
    }

    @Test func addressParsingRefusesBadChecksumsAndShapes() {
        // One letter's case flipped: a mixed-case text with a wrong EIP-55 checksum.
        #expect(EthereumAddress("0x2c7536E3605D9C16a7a3D7b1898e529396a65C23") == nil)
        for text in [
            "", "0x", "2c7536e3605d9c16a7a3d7b1898e529396a65c23", "0x2c7536e3605d9c16a7a3d7b1898e529396a65c2",
            "0x2c7536e3605d9c16a7a3d7b1898e529396a65c233", "0x2c7536e3605d9c16a7a3d7b1898e529396a65cgg",
            " 0x2c7536e3605d9c16a7a3d7b1898e529396a65c2",
        ] {
            #expect(EthereumAddress(text) == nil, "\(text)")
        }
    }

    @Test func referenceMnemonicDerivesTheReferenceDydxAccount() throws {
        let mnemonic = try BIP39.mnemonic(Array(repeating: "abandon", count: 11).joined(separator: " ") + " about")
        #expect(Hex.encode(BIP39.seed(of: mnemonic).prefix(16)) == "5eb00bbddcf069084889a8ab91555681")
        let account = try #require(DydxAccount(mnemonic: mnemonic))
        #expect(Hex.encode(account.privateKey) == "c4a48e2fce1481cd3294b4490f6678090ea98d3d0e5cd984558ab0968741b104")
        #expect(Hex.encode(account.publicKey) == "024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b62")
        #expect(account.address == "dydx19rl4cm2hmr8afy4kldpxz3fka4jguq0a4erelz")
        // The same key's Cosmos address, the well-known one.
        #expect(
            DydxAccount.address(publicKey: account.publicKey, prefix: "cosmos")
                == "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4")
    }

    @Test(arguments: [
        (
            "legal winner thank year wave sausage worth useful legal winner thank yellow",
            "dydx1avgyh77ycn997ja45q5q8ss8y9mr424jfrvh4k"
        ),
        (
            Array(repeating: "zoo", count: 23).joined(separator: " ") + " vote",
            "dydx1kl0dn0rtwk46h9zcmazyyrruta290crhhh97qk"
        ),
    ])
    func generatedMnemonicsDeriveBipUtilsAddresses(phrase: String, address: String) throws {
        let mnemonic = try BIP39.mnemonic(phrase)
        #expect(DydxAccount(mnemonic: mnemonic)?.address == address)
        // Case and whitespace do not change the phrase.
        #expect(try BIP39.mnemonic("  " + phrase.uppercased().replacingOccurrences(of: " ", with: " \n\t")) == mnemonic)
    }

    @Test func mnemonicRefusals() {
        let eleven = Array(repeating: "abandon", count: 11).joined(separator: " ")
        #expect(throws: BIP39.Refusal.checksum) { try BIP39.mnemonic(eleven + " abandon") }
        #expect(throws: BIP39.Refusal.wordCount(11)) { try BIP39.mnemonic(eleven) }
        #expect(throws: BIP39.Refusal.wordCount(13)) { try BIP39.mnemonic(eleven + " about about") }
        #expect(throws: BIP39.Refusal.wordCount(0)) { try BIP39.mnemonic("   ") }
        #expect(throws: BIP39.Refusal.unknownWord(position: 12)) { try BIP39.mnemonic(eleven + " aboutt") }
        // Messages never carry a word of the phrase.
        #expect(!BIP39.Refusal.unknownWord(position: 12).message.contains("aboutt"))
    }

    @Test func bip32RefusesMalformedPaths() throws {
        let key = try #require(BIP32Key(seed: [UInt8](repeating: 1, count: 64)))
        for path in ["", "44'/0", "m/x", "m/2147483648", "m//0"] {
            #expect(key.derive(path: path) == nil, "\(path)")
        }
        #expect(key.derive(path: "m") != nil)
    }
}
