import SQLKit

/// Text predicates that read the same on SQLite and PostgreSQL.
enum SQLText {
    /// `column` starts with `prefix`, compared exactly (no `LIKE` wildcards: names hold
    /// underscores); `substr` counts characters in both databases.
    static func hasPrefix(_ column: String, _ prefix: String) -> any SQLExpression {
        SQLBinaryExpression(
            SQLFunction(
                "substr", args: SQLColumn(column), SQLLiteral.numeric("1"),
                SQLLiteral.numeric(String(prefix.unicodeScalars.count))),
            .equal, SQLBind(prefix))
    }
}
