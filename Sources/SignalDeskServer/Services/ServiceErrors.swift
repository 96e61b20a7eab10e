/// Errors services throw, in domain words; the HTTP layer (``APIErrorMiddleware``, controllers)
/// turns them into answers. Services never make HTTP errors themselves.
enum ServiceError: Error, Equatable {
    /// The application is stopping: work queued for it will not run (answered 503, as a
    /// password check queued at shutdown is).
    case stopping
}
