import Crypto
import Foundation
import _CryptoExtras

/// BIP-39 mnemonics (English wordlist): validation with the checksum, and the 64-byte seed.
public enum BIP39 {
    /// Why a phrase is not a valid mnemonic. The cases never carry the phrase or its words, so an
    /// error can be shown to its owner or logged without leaking it.
    public enum Refusal: Error, Equatable, Sendable {
        /// Not 12, 15, 18, 21 or 24 words.
        case wordCount(Int)
        /// The word at this 1-based position is not in the English list.
        case unknownWord(position: Int)
        /// The last word's checksum bits do not match the entropy.
        case checksum

        /// A message for the phrase's owner, without any word of it.
        public var message: String {
            switch self {
            case .wordCount(let count):
                "a mnemonic must have 12, 15, 18, 21 or 24 words (got \(count))"
            case .unknownWord(let position):
                "word \(position) of the mnemonic is not in the BIP-39 English wordlist"
            case .checksum:
                "the mnemonic's checksum is wrong (a word is mistyped or out of order)"
            }
        }
    }

    /// A validated mnemonic: its words lower-cased and joined by single spaces.
    public struct Mnemonic: Sendable, Equatable {
        public let phrase: String
        public var wordCount: Int { phrase.split(separator: " ").count }

        fileprivate init(phrase: String) { self.phrase = phrase }
    }

    private static let indexOfWord: [String: Int] = Dictionary(
        uniqueKeysWithValues: englishWords.enumerated().map { ($1, $0) })

    /// Validates `text` (any case, words separated by any whitespace) as an English mnemonic.
    public static func mnemonic(_ text: String) throws(Refusal) -> Mnemonic {
        let words = text.split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
        guard [12, 15, 18, 21, 24].contains(words.count) else { throw .wordCount(words.count) }
        var bits: [Bool] = []
        bits.reserveCapacity(words.count * 11)
        for (position, word) in words.enumerated() {
            guard let index = indexOfWord[word] else { throw .unknownWord(position: position + 1) }
            for shift in stride(from: 10, through: 0, by: -1) {
                bits.append((index >> shift) & 1 == 1)
            }
        }
        let checksumBits = bits.count / 33
        let entropyBits = bits.count - checksumBits
        var entropy = [UInt8](repeating: 0, count: entropyBits / 8)
        for bit in 0..<entropyBits where bits[bit] {
            entropy[bit / 8] |= 0x80 >> UInt8(bit % 8)
        }
        let hash = Array(SHA256.hash(data: entropy))
        for bit in 0..<checksumBits {
            let expected = (hash[bit / 8] >> UInt8(7 - bit % 8)) & 1 == 1
            guard bits[entropyBits + bit] == expected else { throw .checksum }
        }
        return Mnemonic(phrase: words.joined(separator: " "))
    }

    /// The BIP-39 seed: PBKDF2-HMAC-SHA512(NFKD(phrase), "mnemonic" + NFKD(passphrase), 2048, 64 bytes).
    public static func seed(of mnemonic: Mnemonic, passphrase: String = "") -> [UInt8] {
        let password = Array(mnemonic.phrase.decomposedStringWithCompatibilityMapping.utf8)
        let salt = Array(("mnemonic" + passphrase).decomposedStringWithCompatibilityMapping.utf8)
        // 2048 rounds is the standard's, not a choice: the wrapper's 210,000 minimum is for passwords.
        guard
            let key = try? KDF.Insecure.PBKDF2.deriveKey(
                from: password, salt: salt, using: .sha512, outputByteCount: 64, unsafeUncheckedRounds: 2048)
        else { fatalError("PBKDF2-HMAC-SHA512 failed") }
        return key.withUnsafeBytes { Array($0) }
    }
}
