-- The warehouse tables, derived from the datasets (see package sink).
CREATE TABLE "StockData" (
    "StockName" VARCHAR(16) NOT NULL,
    "Date" DATE NOT NULL,
    "Open" DOUBLE PRECISION NOT NULL CHECK ("Open" > 0),
    "High" DOUBLE PRECISION NOT NULL CHECK ("High" > 0),
    "Low" DOUBLE PRECISION NOT NULL CHECK ("Low" > 0),
    "Close" DOUBLE PRECISION NOT NULL CHECK ("Close" > 0),
    "Volume" BIGINT NOT NULL CHECK ("Volume" >= 0),
    "Imputed" BOOLEAN NOT NULL,
    "IngestedAt" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "StockData_pkey" PRIMARY KEY ("StockName", "Date")
);

CREATE TABLE "StockData15Min" (
    "StockName" VARCHAR(16) NOT NULL,
    "Datetime" TIMESTAMPTZ NOT NULL,
    "Open" DOUBLE PRECISION NOT NULL CHECK ("Open" > 0),
    "High" DOUBLE PRECISION NOT NULL CHECK ("High" > 0),
    "Low" DOUBLE PRECISION NOT NULL CHECK ("Low" > 0),
    "Close" DOUBLE PRECISION NOT NULL CHECK ("Close" > 0),
    "Volume" BIGINT NOT NULL CHECK ("Volume" >= 0),
    "Imputed" BOOLEAN NOT NULL,
    "IngestedAt" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "StockData15Min_pkey" PRIMARY KEY ("StockName", "Datetime")
);

CREATE TABLE "call_options" (
    "contractSymbol" VARCHAR(32) NOT NULL,
    "lastTradeDate" TIMESTAMPTZ,
    "expirationDate" DATE NOT NULL,
    "strike" DOUBLE PRECISION NOT NULL CHECK ("strike" > 0),
    "lastPrice" DOUBLE PRECISION,
    "bid" DOUBLE PRECISION,
    "ask" DOUBLE PRECISION,
    "change" DOUBLE PRECISION,
    "percentChange" DOUBLE PRECISION,
    "volume" BIGINT NOT NULL CHECK ("volume" >= 0),
    "openInterest" BIGINT NOT NULL CHECK ("openInterest" >= 0),
    "impliedVolatility" DOUBLE PRECISION,
    "inTheMoney" BOOLEAN NOT NULL,
    "contractSize" VARCHAR(16) NOT NULL,
    "currency" VARCHAR(8) NOT NULL,
    "StockName" VARCHAR(16) NOT NULL,
    "snapshotTime" TIMESTAMPTZ NOT NULL,
    "underlyingPrice" DOUBLE PRECISION,
    "mid" DOUBLE PRECISION,
    "iv" DOUBLE PRECISION,
    "delta" DOUBLE PRECISION,
    "gamma" DOUBLE PRECISION,
    "theta" DOUBLE PRECISION,
    "vega" DOUBLE PRECISION,
    "rho" DOUBLE PRECISION,
    "moneyness" DOUBLE PRECISION,
    "daysToExpiry" DOUBLE PRECISION,
    "ingestedAt" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "call_options_pkey" PRIMARY KEY ("contractSymbol", "snapshotTime")
);
CREATE INDEX "ix_call_options_StockName_snapshotTime" ON "call_options" ("StockName", "snapshotTime");

CREATE TABLE "put_options" (
    "contractSymbol" VARCHAR(32) NOT NULL,
    "lastTradeDate" TIMESTAMPTZ,
    "expirationDate" DATE NOT NULL,
    "strike" DOUBLE PRECISION NOT NULL CHECK ("strike" > 0),
    "lastPrice" DOUBLE PRECISION,
    "bid" DOUBLE PRECISION,
    "ask" DOUBLE PRECISION,
    "change" DOUBLE PRECISION,
    "percentChange" DOUBLE PRECISION,
    "volume" BIGINT NOT NULL CHECK ("volume" >= 0),
    "openInterest" BIGINT NOT NULL CHECK ("openInterest" >= 0),
    "impliedVolatility" DOUBLE PRECISION,
    "inTheMoney" BOOLEAN NOT NULL,
    "contractSize" VARCHAR(16) NOT NULL,
    "currency" VARCHAR(8) NOT NULL,
    "StockName" VARCHAR(16) NOT NULL,
    "snapshotTime" TIMESTAMPTZ NOT NULL,
    "underlyingPrice" DOUBLE PRECISION,
    "mid" DOUBLE PRECISION,
    "iv" DOUBLE PRECISION,
    "delta" DOUBLE PRECISION,
    "gamma" DOUBLE PRECISION,
    "theta" DOUBLE PRECISION,
    "vega" DOUBLE PRECISION,
    "rho" DOUBLE PRECISION,
    "moneyness" DOUBLE PRECISION,
    "daysToExpiry" DOUBLE PRECISION,
    "ingestedAt" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "put_options_pkey" PRIMARY KEY ("contractSymbol", "snapshotTime")
);
CREATE INDEX "ix_put_options_StockName_snapshotTime" ON "put_options" ("StockName", "snapshotTime");
