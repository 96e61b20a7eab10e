import Vapor

func routes(_ app: Application) throws {
    try app.register(collection: HealthController())
    try app.register(collection: DocsController())
    try app.register(collection: AuthController())
    try app.register(collection: WalletAuthController())
    try app.register(collection: TwoFactorController())
    try app.register(collection: UsersController())
    try app.register(collection: ExchangeSecretsController())
    try app.register(collection: NotificationsController())
    try app.register(collection: SecurityController())
    try app.register(collection: SignalsController())
    try app.register(collection: PositionsController())
    try app.register(collection: RiskAdminController())
    try app.register(collection: StrategyController())
    try app.register(collection: ExecutionController())
    try app.register(collection: WebhooksController())
    try app.register(collection: KillSwitchController())
    try app.register(collection: AuditController())
    try app.register(collection: OpsDashboardController())
    try app.register(collection: SubscriptionsController())
}
