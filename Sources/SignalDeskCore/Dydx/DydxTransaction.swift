import Crypto
import Foundation
import SwiftProtobuf

/// Cosmos SDK transactions carrying dYdX messages, signed SIGN_MODE_DIRECT (REFERENCE.md,
/// "Transactions"): the signature is a low-S secp256k1 signature of SHA-256(SignDoc{body_bytes,
/// auth_info_bytes, chain_id, account_number}), and the node receives TxRaw{body_bytes,
/// auth_info_bytes, [signature]}.
public enum DydxTransaction {
    public static let placeOrderTypeURL = "/dydxprotocol.clob.MsgPlaceOrder"
    public static let cancelOrderTypeURL = "/dydxprotocol.clob.MsgCancelOrder"
    public static let publicKeyTypeURL = "/cosmos.crypto.secp256k1.PubKey"
    /// SIGN_MODE_DIRECT.
    public static let signModeDirect: Int32 = 1
    /// dYdX order messages pay no fee (no coins); REFERENCE.md names no gas limit, so SignalDesk
    /// sends this generous one. Part of the signed bytes (the vectors in `DydxOrderTests`).
    public static let gasLimit: UInt64 = 1_000_000

    /// A message of a transaction.
    public enum Message: Sendable, Equatable {
        case place(DydxOrder)
        case cancel(DydxMsgCancelOrder)
    }

    public enum Problem: Error, Equatable, Sendable {
        /// The key was wiped or is not a valid key.
        case signing
        /// The bytes are not a transaction this module reads.
        case malformed(String)
    }

    /// The account the transaction is signed for (`GET /cosmos/auth/v1beta1/accounts/{address}`).
    public struct Account: Sendable, Equatable {
        public let number: UInt64
        public let sequence: UInt64

        public init(number: UInt64, sequence: UInt64) {
            self.number = number
            self.sequence = sequence
        }
    }

    /// The signed TxRaw bytes of `messages`.
    public static func signed(
        _ messages: [Message], memo: String = "", key: DydxSigningKey, account: Account, chainID: String
    ) throws(Problem) -> [UInt8] {
        let body = try bodyBytes(messages, memo: memo)
        let authInfo = try authInfoBytes(publicKey: key.publicKey, sequence: account.sequence)
        let doc = try signBytes(body: body, authInfo: authInfo, chainID: chainID, accountNumber: account.number)
        guard let signature = key.sign(digest: Array(SHA256.hash(data: doc))) else { throw .signing }
        var raw = CosmosTxRaw()
        raw.bodyBytes = Data(body)
        raw.authInfoBytes = Data(authInfo)
        raw.signatures = [Data(signature)]
        return try serialize(raw)
    }

    /// The SignDoc bytes the signature covers.
    public static func signBytes(body: [UInt8], authInfo: [UInt8], chainID: String, accountNumber: UInt64)
        throws(Problem) -> [UInt8]
    {
        var doc = CosmosSignDoc()
        doc.bodyBytes = Data(body)
        doc.authInfoBytes = Data(authInfo)
        doc.chainID = chainID
        doc.accountNumber = accountNumber
        return try serialize(doc)
    }

    static func bodyBytes(_ messages: [Message], memo: String) throws(Problem) -> [UInt8] {
        var body = CosmosTxBody()
        body.memo = memo
        for message in messages {
            var any = Google_Protobuf_Any()
            switch message {
            case .place(let order):
                var place = DydxMsgPlaceOrder()
                place.order = order
                any.typeURL = placeOrderTypeURL
                any.value = Data(try serialize(place))
            case .cancel(let cancel):
                any.typeURL = cancelOrderTypeURL
                any.value = Data(try serialize(cancel))
            }
            body.messages.append(any)
        }
        return try serialize(body)
    }

    static func authInfoBytes(publicKey: [UInt8], sequence: UInt64) throws(Problem) -> [UInt8] {
        var key = CosmosSecp256k1PubKey()
        key.key = Data(publicKey)
        var anyKey = Google_Protobuf_Any()
        anyKey.typeURL = publicKeyTypeURL
        anyKey.value = Data(try serialize(key))
        var single = CosmosModeInfo.Single()
        single.mode = signModeDirect
        var mode = CosmosModeInfo()
        mode.single = single
        var signer = CosmosSignerInfo()
        signer.publicKey = anyKey
        signer.modeInfo = mode
        signer.sequence = sequence
        var fee = CosmosFee()
        fee.gasLimit = gasLimit
        var info = CosmosAuthInfo()
        info.signerInfos = [signer]
        info.fee = fee
        return try serialize(info)
    }

    static func serialize(_ message: some SwiftProtobuf.Message) throws(Problem) -> [UInt8] {
        do {
            return try message.serializedBytes()
        } catch {
            throw .malformed("\(type(of: message)) does not serialize")
        }
    }

    /// What a node reads from a broadcast transaction.
    public struct Decoded: Sendable {
        public let messages: [Message]
        public let memo: String
        /// The signer's 33-byte public key from AuthInfo.
        public let publicKey: [UInt8]
        public let signMode: Int32
        public let sequence: UInt64
        public let signatures: [[UInt8]]
        public let bodyBytes: [UInt8]
        public let authInfoBytes: [UInt8]

        /// The `dydx1…` address of the AuthInfo public key.
        public var signerAddress: String { DydxAccount.address(publicKey: publicKey) }

        /// True when there is exactly one signature and it is the AuthInfo key's low-S signature
        /// of this transaction's SignDoc for `chainID` and `accountNumber`.
        public func signatureVerifies(chainID: String, accountNumber: UInt64) -> Bool {
            guard signatures.count == 1,
                let doc = try? DydxTransaction.signBytes(
                    body: bodyBytes, authInfo: authInfoBytes, chainID: chainID, accountNumber: accountNumber)
            else { return false }
            return Secp256k1.verify(
                signature: signatures[0], digest: Array(SHA256.hash(data: doc)), publicKey: publicKey)
        }
    }

    /// Reads TxRaw bytes (a node's side; the fake node and tests use it).
    public static func decode(_ bytes: [UInt8]) throws(Problem) -> Decoded {
        do {
            let raw = try CosmosTxRaw(serializedBytes: bytes)
            let body = try CosmosTxBody(serializedBytes: raw.bodyBytes)
            let info = try CosmosAuthInfo(serializedBytes: raw.authInfoBytes)
            guard info.signerInfos.count == 1, let signer = info.signerInfos.first else {
                throw Problem.malformed("expected one signer")
            }
            guard signer.publicKey.typeURL == publicKeyTypeURL else {
                throw Problem.malformed("unsupported public key type \(signer.publicKey.typeURL.prefix(60))")
            }
            let key = try CosmosSecp256k1PubKey(serializedBytes: signer.publicKey.value)
            var messages: [Message] = []
            for any in body.messages {
                switch any.typeURL {
                case placeOrderTypeURL:
                    messages.append(.place(try DydxMsgPlaceOrder(serializedBytes: any.value).order))
                case cancelOrderTypeURL:
                    messages.append(.cancel(try DydxMsgCancelOrder(serializedBytes: any.value)))
                default:
                    throw Problem.malformed("unsupported message \(any.typeURL.prefix(60))")
                }
            }
            return Decoded(
                messages: messages, memo: body.memo, publicKey: Array(key.key), signMode: signer.modeInfo.single.mode,
                sequence: signer.sequence, signatures: raw.signatures.map { Array($0) },
                bodyBytes: Array(raw.bodyBytes), authInfoBytes: Array(raw.authInfoBytes))
        } catch let problem as Problem {
            throw problem
        } catch {
            throw .malformed("not a transaction")
        }
    }
}
