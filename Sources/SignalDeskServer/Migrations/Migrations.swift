import Fluent

/// Every migration in the order it is applied. Append; never reorder or edit a released one.
enum SignalDeskMigrations {
    static let all: [any Migration] = [
        CreateUsers(),
        CreateSessions(),
        CreateTwoFactor(),
        CreateLoginAttempts(),
        CreateExchangeSecrets(),
        CreateStrategyAssignments(),
        CreateWebhookEndpoints(),
        CreateSignals(),
        CreatePositions(),
        CreateOrders(),
        CreateDailyRiskState(),
        CreateAuditLog(),
        CreateOutbox(),
        CreateSettings(),
        CreateIdempotencyKeys(),
        AddSignalAction(),
        AddAuditChainSequence(),
        AddSignalNotifyTrigger(),
        AddAuditPendingIndex(),
        AddExecutionIndexes(),
        AddSignalListIndex(),
        CreateWalletIdentities(),
        CreateWalletNonces(),
        CreateDydxCredentials(),
        CreateSubscriptions(),
        AddIdempotencyRequestHash(),
        AddPasswordChangedAt(),
        CreateRuntimeConfigs(),
        CreateLearning(),
    ]
}
