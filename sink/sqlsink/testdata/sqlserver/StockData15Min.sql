-- upsert of 2 rows given as parameters
MERGE INTO [StockData15Min] WITH (HOLDLOCK) AS t
USING (VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9), (@p10, @p11, @p12, @p13, @p14, @p15, @p16, @p17, @p18)) AS s ([StockName], [Datetime], [Open], [High], [Low], [Close], [Volume], [Imputed], [IngestedAt])
ON t.[StockName] = s.[StockName] AND t.[Datetime] = s.[Datetime]
WHEN MATCHED AND t.[IngestedAt] <= s.[IngestedAt] THEN UPDATE SET [Open] = s.[Open], [High] = s.[High], [Low] = s.[Low], [Close] = s.[Close], [Volume] = s.[Volume], [Imputed] = s.[Imputed], [IngestedAt] = s.[IngestedAt]
WHEN NOT MATCHED BY TARGET THEN INSERT ([StockName], [Datetime], [Open], [High], [Low], [Close], [Volume], [Imputed], [IngestedAt]) VALUES (s.[StockName], s.[Datetime], s.[Open], s.[High], s.[Low], s.[Close], s.[Volume], s.[Imputed], s.[IngestedAt]);

-- staging table for bulk copy
DROP TABLE IF EXISTS [#stage_StockData15Min];
SELECT TOP 0 [StockName], [Datetime], [Open], [High], [Low], [Close], [Volume], [Imputed], [IngestedAt] INTO [#stage_StockData15Min] FROM [StockData15Min];

-- bulk copy into the staging table
INSERTBULK {"TableName":"#stage_StockData15Min","ColumnsName":["StockName","Datetime","Open","High","Low","Close","Volume","Imputed","IngestedAt"],"Options":{"CheckConstraints":true,"FireTriggers":false,"KeepNulls":false,"KilobytesPerBatch":0,"RowsPerBatch":0,"Order":null,"Tablock":false}}

-- upsert from the staging table
MERGE INTO [StockData15Min] WITH (HOLDLOCK) AS t
USING [#stage_StockData15Min] AS s
ON t.[StockName] = s.[StockName] AND t.[Datetime] = s.[Datetime]
WHEN MATCHED AND t.[IngestedAt] <= s.[IngestedAt] THEN UPDATE SET [Open] = s.[Open], [High] = s.[High], [Low] = s.[Low], [Close] = s.[Close], [Volume] = s.[Volume], [Imputed] = s.[Imputed], [IngestedAt] = s.[IngestedAt]
WHEN NOT MATCHED BY TARGET THEN INSERT ([StockName], [Datetime], [Open], [High], [Low], [Close], [Volume], [Imputed], [IngestedAt]) VALUES (s.[StockName], s.[Datetime], s.[Open], s.[High], s.[Low], s.[Close], s.[Volume], s.[Imputed], s.[IngestedAt]);

