-- The corporate_actions table, derived from its dataset (see package sink).
CREATE TABLE [corporate_actions] (
    [symbol] NVARCHAR(16) NOT NULL,
    [ex_date] DATE NOT NULL,
    [action] NVARCHAR(16) NOT NULL,
    [amount] FLOAT,
    [numerator] FLOAT,
    [denominator] FLOAT,
    [ingested_at] DATETIME2(6) NOT NULL,
    CONSTRAINT [PK_corporate_actions] PRIMARY KEY ([symbol], [ex_date], [action])
);
