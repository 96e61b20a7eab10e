import SignalDeskCore

/// What register and user creation accept, as 422 items in the FastAPI shape.
enum AccountInput {
    static let minimumPasswordLength = 8

    static func problems(email: String, password: String) -> [APIError.ValidationItem] {
        var problems: [APIError.ValidationItem] = []
        if !EmailAddress.isValid(EmailAddress.normalized(email)) {
            problems.append(
                .init(loc: ["body", "email"], msg: "value is not a valid email address", type: "value_error"))
        }
        if password.count < minimumPasswordLength {
            problems.append(
                .init(
                    loc: ["body", "password"], msg: "Password must be at least \(minimumPasswordLength) characters",
                    type: "string_too_short"))
        }
        return problems
    }
}
