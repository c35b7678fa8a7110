-- The warehouse tables, derived from the datasets (see package sink).
CREATE TABLE [StockData] (
    [StockName] NVARCHAR(16) NOT NULL,
    [Date] DATE NOT NULL,
    [Open] FLOAT NOT NULL CHECK ([Open] > 0),
    [High] FLOAT NOT NULL CHECK ([High] > 0),
    [Low] FLOAT NOT NULL CHECK ([Low] > 0),
    [Close] FLOAT NOT NULL CHECK ([Close] > 0),
    [Volume] BIGINT NOT NULL CHECK ([Volume] >= 0),
    [Imputed] BIT NOT NULL,
    [IngestedAt] DATETIME2(6) NOT NULL,
    CONSTRAINT [PK_StockData] PRIMARY KEY ([StockName], [Date])
);

CREATE TABLE [StockData15Min] (
    [StockName] NVARCHAR(16) NOT NULL,
    [Datetime] DATETIME2(6) NOT NULL,
    [Open] FLOAT NOT NULL CHECK ([Open] > 0),
    [High] FLOAT NOT NULL CHECK ([High] > 0),
    [Low] FLOAT NOT NULL CHECK ([Low] > 0),
    [Close] FLOAT NOT NULL CHECK ([Close] > 0),
    [Volume] BIGINT NOT NULL CHECK ([Volume] >= 0),
    [Imputed] BIT NOT NULL,
    [IngestedAt] DATETIME2(6) NOT NULL,
    CONSTRAINT [PK_StockData15Min] PRIMARY KEY ([StockName], [Datetime])
);

CREATE TABLE [call_options] (
    [contractSymbol] NVARCHAR(32) NOT NULL,
    [lastTradeDate] DATETIME2(6),
    [expirationDate] DATE NOT NULL,
    [strike] FLOAT NOT NULL CHECK ([strike] > 0),
    [lastPrice] FLOAT,
    [bid] FLOAT,
    [ask] FLOAT,
    [change] FLOAT,
    [percentChange] FLOAT,
    [volume] BIGINT NOT NULL CHECK ([volume] >= 0),
    [openInterest] BIGINT NOT NULL CHECK ([openInterest] >= 0),
    [impliedVolatility] FLOAT,
    [inTheMoney] BIT NOT NULL,
    [contractSize] NVARCHAR(16) NOT NULL,
    [currency] NVARCHAR(8) NOT NULL,
    [StockName] NVARCHAR(16) NOT NULL,
    [snapshotTime] DATETIME2(6) NOT NULL,
    [underlyingPrice] FLOAT,
    [mid] FLOAT,
    [iv] FLOAT,
    [delta] FLOAT,
    [gamma] FLOAT,
    [theta] FLOAT,
    [vega] FLOAT,
    [rho] FLOAT,
    [moneyness] FLOAT,
    [daysToExpiry] FLOAT,
    [ingestedAt] DATETIME2(6) NOT NULL,
    CONSTRAINT [PK_call_options] PRIMARY KEY ([contractSymbol], [snapshotTime])
);
CREATE INDEX [ix_call_options_StockName_snapshotTime] ON [call_options] ([StockName], [snapshotTime]);

CREATE TABLE [put_options] (
    [contractSymbol] NVARCHAR(32) NOT NULL,
    [lastTradeDate] DATETIME2(6),
    [expirationDate] DATE NOT NULL,
    [strike] FLOAT NOT NULL CHECK ([strike] > 0),
    [lastPrice] FLOAT,
    [bid] FLOAT,
    [ask] FLOAT,
    [change] FLOAT,
    [percentChange] FLOAT,
    [volume] BIGINT NOT NULL CHECK ([volume] >= 0),
    [openInterest] BIGINT NOT NULL CHECK ([openInterest] >= 0),
    [impliedVolatility] FLOAT,
    [inTheMoney] BIT NOT NULL,
    [contractSize] NVARCHAR(16) NOT NULL,
    [currency] NVARCHAR(8) NOT NULL,
    [StockName] NVARCHAR(16) NOT NULL,
    [snapshotTime] DATETIME2(6) NOT NULL,
    [underlyingPrice] FLOAT,
    [mid] FLOAT,
    [iv] FLOAT,
    [delta] FLOAT,
    [gamma] FLOAT,
    [theta] FLOAT,
    [vega] FLOAT,
    [rho] FLOAT,
    [moneyness] FLOAT,
    [daysToExpiry] FLOAT,
    [ingestedAt] DATETIME2(6) NOT NULL,
    CONSTRAINT [PK_put_options] PRIMARY KEY ([contractSymbol], [snapshotTime])
);
CREATE INDEX [ix_put_options_StockName_snapshotTime] ON [put_options] ([StockName], [snapshotTime]);
