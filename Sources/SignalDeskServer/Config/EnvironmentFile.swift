import Foundation

/// Reads `KEY=VALUE` files (`.env`, `var/dev-secrets.env`): `#` comments, blank lines, an optional
/// `export ` prefix, and values in single or double quotes.
enum EnvironmentFile {
    struct ParseError: Error, CustomStringConvertible {
        let path: String
        let line: Int
        var description: String { "\(path):\(line) is not of the form KEY=VALUE" }
    }

    static func parse(_ contents: String, path: String) throws(ParseError) -> [String: String] {
        var values: [String: String] = [:]
        for (index, rawLine) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)) }
            guard let equals = line.firstIndex(of: "=") else { throw ParseError(path: path, line: index + 1) }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ParseError(path: path, line: index + 1)
            }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }

    /// The values of the file at `path`, or an empty dictionary when there is no such file.
    static func load(path: String) throws -> [String: String] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let contents = try String(contentsOfFile: path, encoding: .utf8)
        return try parse(contents, path: path)
    }
}
