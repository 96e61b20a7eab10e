import Foundation
import SignalDeskCore
import Testing

@Suite struct KeyRingTests {
    static let hexA = String(repeating: "a1", count: 32)
    static let hexB = String(repeating: "b2", count: 32)
    let context = SealContext(owner: "9F1C0A4E-0000-4000-8000-000000000001", purpose: "exchange:BINANCE:api_secret")

    @Test func parsesRingWithFirstKeyActive() throws {
        let ring = try KeyRing.parse("k2: \(Self.hexB) , k1:\(Self.hexA)".replacingOccurrences(of: ": ", with: ":"))
        #expect(ring.activeKeyID == "k2")
        #expect(ring.keys.map(\.id) == ["k2", "k1"])
    }

    @Test func rejectsMalformedRings() {
        #expect(throws: KeyRingError.invalidKeyHex(id: "k1")) { try KeyRing.parse("k1:abcd") }
        #expect(throws: KeyRingError.invalidKeyHex(id: "k1")) {
            try KeyRing.parse("k1:" + String(repeating: "zz", count: 32))
        }
        #expect(throws: KeyRingError.malformedEntry(position: 1)) { try KeyRing.parse(Self.hexA) }
        #expect(throws: KeyRingError.invalidKeyID("bad id")) { try KeyRing.parse("bad id:\(Self.hexA)") }
        #expect(throws: KeyRingError.duplicateKeyID("k1")) { try KeyRing.parse("k1:\(Self.hexA),k1:\(Self.hexB)") }
        #expect(throws: KeyRingError.malformedEntry(position: 2)) { try KeyRing.parse("k1:\(Self.hexA),") }
    }

    @Test func errorMessagesNeverContainKeyMaterial() {
        let secretHex = String(repeating: "c3", count: 31)
        do {
            _ = try KeyRing.parse("k1:\(secretHex)")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains(secretHex))
            #expect(error.description.contains("64 hexadecimal"))
        }
    }

    @Test func passphraseDerivationIsStableAndNamed() throws {
        let first = try KeyRing.derived(fromPassphrase: "correct horse battery staple")
        let again = try KeyRing.derived(fromPassphrase: "correct horse battery staple")
        let other = try KeyRing.derived(fromPassphrase: "another passphrase")
        #expect(first.activeKeyID == again.activeKeyID)
        #expect(first.activeKeyID.hasPrefix("pass-"))
        #expect(first.activeKeyID != other.activeKeyID)
        let sealed = try first.seal("value", context: context)
        #expect(try again.openString(sealed, context: context) == "value")
        #expect(throws: KeyRingError.emptyPassphrase) { try KeyRing.derived(fromPassphrase: "") }
    }

    @Test func sealOpensUnderSameContext() throws {
        let ring = try KeyRing.parse("k1:\(Self.hexA)")
        let sealed = try ring.seal("api-secret-123", context: context)
        #expect(sealed.hasPrefix("v1.k1."))
        #expect(!sealed.contains("api-secret-123"))
        #expect(try ring.openString(sealed, context: context) == "api-secret-123")
        #expect(KeyRing.keyID(ofSealed: sealed) == "k1")
    }

    @Test func everySealUsesAFreshNonce() throws {
        let ring = try KeyRing.parse("k1:\(Self.hexA)")
        let first = try ring.seal("same", context: context)
        let second = try ring.seal("same", context: context)
        #expect(first != second)
    }

    @Test func valueMovedToAnotherOwnerOrPurposeDoesNotOpen() throws {
        let ring = try KeyRing.parse("k1:\(Self.hexA)")
        let sealed = try ring.seal("api-secret-123", context: context)
        let otherOwner = SealContext(owner: "9F1C0A4E-0000-4000-8000-000000000002", purpose: context.purpose)
        let otherPurpose = SealContext(owner: context.owner, purpose: "exchange:BINANCE:api_key")
        #expect(throws: SealError.authenticationFailed) { try ring.open(sealed, context: otherOwner) }
        #expect(throws: SealError.authenticationFailed) { try ring.open(sealed, context: otherPurpose) }
    }

    @Test func retiredKeysStillOpenAndUnknownKeysAreNamed() throws {
        let old = try KeyRing.parse("k1:\(Self.hexA)")
        let rotated = try KeyRing.parse("k2:\(Self.hexB),k1:\(Self.hexA)")
        let sealedUnderOld = try old.seal("seed", context: context)
        #expect(try rotated.openString(sealedUnderOld, context: context) == "seed")
        #expect(KeyRing.keyID(ofSealed: try rotated.seal("seed", context: context)) == "k2")
        let onlyNew = try KeyRing.parse("k2:\(Self.hexB)")
        #expect(throws: SealError.unknownKey("k1")) { try onlyNew.open(sealedUnderOld, context: context) }
    }

    @Test func tamperedOrRelabelledValuesFail() throws {
        let ring = try KeyRing.parse("k2:\(Self.hexB),k1:\(Self.hexA)")
        let sealed = try ring.seal("seed", context: context)
        var bytes = Array(sealed.utf8)
        let index = bytes.count - 3
        bytes[index] = bytes[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: SealError.self) { try ring.open(String(decoding: bytes, as: UTF8.self), context: context) }
        // Claiming another key of the ring for the same ciphertext fails authentication.
        let relabelled = sealed.replacingOccurrences(of: "v1.k2.", with: "v1.k1.")
        #expect(throws: SealError.authenticationFailed) { try ring.open(relabelled, context: context) }
        #expect(throws: SealError.malformed) { try ring.open("v2.k2.AAAA", context: context) }
        #expect(throws: SealError.malformed) { try ring.open("plaintext", context: context) }
    }

    @Test func generatedEntriesParse() throws {
        let entry = try KeyRing.generateEntry(id: "k20261122")
        let ring = try KeyRing.parse(entry)
        #expect(ring.activeKeyID == "k20261122")
        #expect(try KeyRing.generateEntry(id: "k20261122") != entry)
    }
}
