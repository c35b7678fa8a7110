DECLARE @result INT;
EXEC @result = sp_getapplock @Resource = N'tickerlake.migrations', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 120000;
SELECT @result;

EXEC sp_releaseapplock @Resource = N'tickerlake.migrations', @LockOwner = 'Session';

IF OBJECT_ID(N'dbo.tickerlake_schema_migrations', N'U') IS NULL
CREATE TABLE dbo.tickerlake_schema_migrations (
    version INT NOT NULL PRIMARY KEY,
    name NVARCHAR(200) NOT NULL,
    applied_at DATETIME2(6) NOT NULL DEFAULT SYSUTCDATETIME()
);
