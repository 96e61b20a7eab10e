import Foundation
import SignalDeskCore
import Testing

@Suite struct AuditChainTests {
    static let user = UUID(uuidString: "9F2C1E4A-1B7D-4C55-8E21-0D6A3B9C7F10")!

    static func content(_ id: Int, action: String = "auth.login.success", details: String? = #"{"ip":"127.0.0.1"}"#)
        -> AuditChain.Content
    {
        AuditChain.Content(
            id: id, userID: user, action: action, entityType: "user", entityID: user.uuidString,
            details: details, createdAt: Date(timeIntervalSince1970: 1_795_000_000.123))
    }

    @Test func canonicalFormIsLengthPrefixedAndStable() {
        #expect(
            Self.content(7).canonical
                == #"v1;1:7;36:9f2c1e4a-1b7d-4c55-8e21-0d6a3b9c7f10;18:auth.login.success;4:user;36:9F2C1E4A-1B7D-4C55-8E21-0D6A3B9C7F10;18:{"ip":"127.0.0.1"};13:1795000000123;"#
        )
        // An absent value is not an empty one, and a value cannot fake a field boundary.
        #expect(Self.content(1, details: nil).canonical != Self.content(1, details: "").canonical)
        #expect(
            Self.content(1, action: "a;1:b").canonical
                != AuditChain.Content(
                    id: 1, userID: Self.user, action: "a", entityType: "b", entityID: nil, details: nil,
                    createdAt: .distantPast
                ).canonical)
    }

    @Test func hashIsSHA256OfThePreviousHashAndTheContent() {
        // Computed independently with Python's hashlib over genesis + "\n" + the canonical text.
        #expect(
            AuditChain.hash(previous: AuditChain.genesis, Self.content(7))
                == "74835570bfcc0c3156a5a397863b3d60dd35ad813adffd7656384cd585cbcb43")
        let one = AuditChain.hash(previous: AuditChain.genesis, Self.content(7))
        #expect(one.count == 64 && one.allSatisfy(\.isHexDigit))
        #expect(one != AuditChain.hash(previous: one, Self.content(7)))
    }

    @Test func anIntactChainVerifies() {
        let links = AuditChain.seal((1...5).map { Self.content($0) }, after: AuditChain.genesis)
        #expect(links.first?.prevHash == AuditChain.genesis)
        #expect(zip(links, links.dropFirst()).allSatisfy { $0.rowHash == $1.prevHash })
        let result = AuditChain.verify(links)
        #expect(result.rows == 5 && result.valid && result.firstBrokenID == nil && result.tip == links[4].rowHash)
        // Pages continue from the previous page's tip.
        let rest = AuditChain.seal([Self.content(6)], after: result.tip)
        #expect(AuditChain.verify(rest, after: result.tip).valid)
    }

    @Test func editsDeletionsAndReordersAreFound() {
        let links = AuditChain.seal((1...5).map { Self.content($0) }, after: AuditChain.genesis)

        var edited = links
        edited[2] = AuditChain.Link(
            content: Self.content(3, details: #"{"ip":"10.0.0.1"}"#), prevHash: links[2].prevHash,
            rowHash: links[2].rowHash)
        #expect(AuditChain.verify(edited).firstBrokenID == 3)
        #expect(AuditChain.verify(edited).rows == 2)

        // Re-hashing the edited row does not help: the next row still names the old hash.
        var rehashed = edited
        rehashed[2] = AuditChain.seal([edited[2].content], after: links[1].rowHash)[0]
        #expect(AuditChain.verify(rehashed).firstBrokenID == 4)

        var deleted = links
        deleted.remove(at: 1)
        #expect(AuditChain.verify(deleted).firstBrokenID == 3)

        var swapped = links
        swapped.swapAt(3, 4)
        #expect(AuditChain.verify(swapped).firstBrokenID == 5)
    }
}
