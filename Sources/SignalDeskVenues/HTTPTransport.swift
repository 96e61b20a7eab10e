import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP exchange with a venue: method, URL, headers, body and a deadline; errors mapped to
/// ``VenueError``. Retries only for idempotent reads (`retries` > 0 on GETs).
public struct HTTPTransport: Sendable {
    public struct Answer: Sendable {
        public let status: Int
        public let body: String
    }

    let client: HTTPClient
    let timeout: Duration

    public init(client: HTTPClient, timeout: Duration = .seconds(5)) {
        self.client = client
        self.timeout = timeout
    }

    public func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil, retries: Int = 0
    ) async throws(VenueError) -> Answer {
        var attempt = 0
        while true {
            do {
                return try await sendOnce(method, url, headers: headers, body: body)
            } catch {
                let idempotent = method == .GET
                guard idempotent, attempt < retries, error.outcomeUnknown || error.countsAgainstVenue else {
                    throw error
                }
                attempt += 1
                do {
                    try await Task.sleep(for: .milliseconds(100 * (1 << attempt)))
                } catch {
                    throw VenueError.timeout
                }
            }
        }
    }

    private func sendOnce(_ method: HTTPMethod, _ url: String, headers: [(String, String)], body: String?)
        async throws(VenueError) -> Answer
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let deadline = TimeAmount.nanoseconds(
            Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        do {
            let response = try await client.execute(request, timeout: deadline)
            let bytes = try await response.body.collect(upTo: 1 << 20)
            let text = String(buffer: bytes)
            let status = Int(response.status.code)
            if status >= 500 { throw VenueError.unavailable(status: status, body: text) }
            return Answer(status: status, body: text)
        } catch let error as VenueError {
            throw error
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .writeTimeout].contains(error) {
            throw .timeout
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw .transport("connect timeout")
        } catch {
            throw .transport(String(describing: type(of: error)))
        }
    }
}
