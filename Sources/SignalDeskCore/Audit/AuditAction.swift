/// Every audit action SignalDesk writes: the names are part of the contract (docs/contract.md):
/// the dashboard and the ops scripts count rows by them. One enum, so a name cannot be misspelled
/// at one call site, and `AuditActionTests` checks each against the contract.
public enum AuditAction: String, Sendable, CaseIterable {
    case auth2faDisabled = "auth.2fa.disabled"
    case auth2faEnabled = "auth.2fa.enabled"
    case auth2faReset = "auth.2fa.reset"
    case auth2faSetup = "auth.2fa.setup"
    case authLoginFailed = "auth.login.failed"
    case authLoginSuccess = "auth.login.success"
    case authLogout = "auth.logout"
    case authPasswordChanged = "auth.password.changed"
    case authRefresh = "auth.refresh"
    case authRefreshReuseDetected = "auth.refresh.reuse_detected"
    case authRegisterSuccess = "auth.register.success"
    case authRevokeAll = "auth.revoke_all"
    case authWalletRegister = "auth.wallet.register"
    case credentialsUpdate = "credentials.update"
    case exchangeSecretDelete = "exchange.secret.delete"
    case exchangeSecretUpsert = "exchange.secret.upsert"
    case exchangeSecretUpsertBlocked = "exchange.secret.upsert.blocked"
    case executionBinanceTestOrderError = "execution.binance.test_order.error"
    case executionBinanceTestOrderSuccess = "execution.binance.test_order.success"
    case executionBlockedExchangeDisabled = "execution.blocked.exchange_disabled"
    /// `MAX_OPEN_QTY_PER_SYMBOL` refused a pretrade check (issue 25 group 11; crypto-saas's name).
    case executionBlockedExposureSymbolQty = "execution.blocked.exposure.symbol_qty"
    case executionBlockedKillSwitch = "execution.blocked.kill_switch"
    case executionBlockedSubscription = "execution.blocked.subscription"
    case executionBybitTestOrderError = "execution.bybit.test_order.error"
    case executionBybitTestOrderSuccess = "execution.bybit.test_order.success"
    case executionDydxTestOrderError = "execution.dydx.test_order.error"
    case executionDydxTestOrderSuccess = "execution.dydx.test_order.success"
    case executionClose = "execution.close"
    case executionIbkrTestOrderError = "execution.ibkr.test_order.error"
    case executionIbkrTestOrderSuccess = "execution.ibkr.test_order.success"
    case executionOrderFilled = "execution.order.filled"
    case executionPrepare = "execution.prepare"
    /// A DYDX position's TP/SL orders could not be placed (issue 23); the position stays open.
    case executionProtectionError = "execution.protection.error"
    case exitAutoCloseError = "exit.auto_close.error"
    case exitAutoCloseSkipped = "exit.auto_close.policy_skipped"
    case exitAutoCloseTickSummary = "exit.auto_close.tick.summary"
    case exitAutoCloseTriggered = "exit.auto_close.triggered"
    case exitCheckHold = "exit.check.hold"
    case exitCheckTriggered = "exit.check.triggered"
    /// An admin's labeling run that wrote outcomes (issue 25 group 13; dry runs write nothing).
    case learningLabelRun = "learning.label.run"
    /// An admin's refresh of the hourly learning rollups (issue 25 group 13).
    case learningRollupRefreshed = "learning.rollup.refreshed"
    case notificationsTelegramCleared = "notifications.telegram.cleared"
    case notificationsTelegramSet = "notifications.telegram.set"
    case opsAuditExport = "ops.audit.export"
    case opsCleanupSmokeUsers = "ops.cleanup.smoke_users"
    case opsKillSwitchOff = "ops.kill_switch.off"
    case opsKillSwitchOn = "ops.kill_switch.on"
    case positionClose = "position.close"
    case positionOpen = "position.open"
    case positionOpenBlockedCooldown = "position.open.blocked.cooldown"
    case positionOpenBlockedDailyStop = "position.open.blocked.daily_stop"
    case positionOpenBlockedMaxOpenPositions = "position.open.blocked.max_open_positions"
    case positionOpenBlockedMaxTrades = "position.open.blocked.max_trades"
    case positionOpenBlockedRiskPerTrade = "position.open.blocked.risk_per_trade"
    case positionOpenBlockedStopLossRequired = "position.open.blocked.stop_loss_required"
    case positionOpenBlockedSymbolExposure = "position.open.blocked.symbol_exposure"
    case pretradeCheckBlocked = "pretrade.check.blocked"
    case pretradeAutoPickCompleted = "pretrade.auto_pick.completed"
    case pretradeAutoPickStarted = "pretrade.auto_pick.started"
    case pretradeCheckPassed = "pretrade.check.passed"
    case pretradeScanCompleted = "pretrade.scan.completed"
    case riskProfileConfigUpdated = "risk.profile.config.updated"
    case riskProfileUpdated = "risk.profile.updated"
    case securityIdempotencyCleanup = "security.idempotency.cleanup"
    case securityIdempotencyStatsRead = "security.idempotency.stats.read"
    case securityKeyRotationReencrypt = "security.key_rotation.reencrypt"
    case securityPostureRead = "security.posture.read"
    case signalClaim = "signal.claim"
    case signalCreate = "signal.create"
    case signalFailed = "signal.failed"
    case signalRejected = "signal.rejected"
    case strategyAssignmentUpdated = "strategy.assignment.updated"
    case strategyRuntimePolicyUpdated = "strategy.runtime_policy.updated"
    case subscriptionUpdate = "subscription.update"
    case userCreate = "user.create"
    case webhookAccepted = "webhook.accepted"
    case webhookAuthFailed = "webhook.auth_failed"
    case webhookDisabled = "webhook.disabled"
    case webhookDuplicate = "webhook.duplicate"
    case webhookEnabled = "webhook.enabled"
    case webhookRejected = "webhook.rejected"
    case webhookSecretRead = "webhook.secret.read"
    case webhookSecretRotated = "webhook.secret.rotated"

    /// `execution.{binance,bybit,ibkr,dydx}.test_order.{success,error}`.
    public static func testOrder(_ exchange: Exchange, succeeded: Bool) -> AuditAction {
        switch (exchange, succeeded) {
        case (.binance, true): .executionBinanceTestOrderSuccess
        case (.binance, false): .executionBinanceTestOrderError
        case (.bybit, true): .executionBybitTestOrderSuccess
        case (.bybit, false): .executionBybitTestOrderError
        case (.ibkr, true): .executionIbkrTestOrderSuccess
        case (.ibkr, false): .executionIbkrTestOrderError
        case (.dydx, true): .executionDydxTestOrderSuccess
        case (.dydx, false): .executionDydxTestOrderError
        }
    }

    /// `position.open.blocked.{max_open_positions,cooldown,daily_stop,max_trades,risk_per_trade}`, and
    /// `stop_loss_required` / `symbol_exposure` for the limits issue 25 added.
    public static func openBlocked(_ block: OpenBlock) -> AuditAction {
        switch block {
        case .maxOpenPositions: .positionOpenBlockedMaxOpenPositions
        case .cooldown: .positionOpenBlockedCooldown
        case .dailyStop: .positionOpenBlockedDailyStop
        case .maxTrades: .positionOpenBlockedMaxTrades
        case .riskPerTrade: .positionOpenBlockedRiskPerTrade
        case .stopLossRequired: .positionOpenBlockedStopLossRequired
        case .symbolExposure: .positionOpenBlockedSymbolExposure
        }
    }
}
