-- upsert of 2 rows given as parameters
MERGE INTO [StockData] WITH (HOLDLOCK) AS t
USING (VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9), (@p10, @p11, @p12, @p13, @p14, @p15, @p16, @p17, @p18)) AS s ([StockName], [Date], [Open], [High], [Low], [Close], [Volume], [Imputed], [IngestedAt])
ON t.[StockName] = s.[StockName] AND t.[Date] = s.[Date]
WHEN MATCHED AND t.[IngestedAt] <= s.[IngestedAt] THEN UPDATE SET [Open] = s.[Open], [High] = s.[High], [Low] = s.[Low], [Close] = s.[Close], [Volume] = s.[Volume], [Imputed] = s.[Imputed], [IngestedAt] = s.[IngestedAt]
WHEN NOT MATCHED BY TARGET THEN INSERT ([StockName], [Date], [Open], [High], [Low], [Close], [Volume], [Imputed], [IngestedAt]) VALUES (s.[StockName], s.[Date], s.[Open], s.[High], s.[Low], s.[Close], s.[Volume], s.[Imputed], s.[IngestedAt]);

-- staging table for bulk copy
DROP TABLE IF EXISTS [#stage_StockData];
SELECT TOP 0 [StockName], [Date], [Open], [High], [Low], [Close], [Volume], [Imputed], [IngestedAt] INTO [#stage_StockData] FROM [StockData];

-- bulk copy into the staging table
INSERTBULK {"TableName":"#stage_StockData","ColumnsName":["StockName","Date","Open","High","Low","Close","Volume","Imputed","IngestedAt"],"Options":{"CheckConstraints":true,"FireTriggers":false,"KeepNulls":false,"KilobytesPerBatch":0,"RowsPerBatch":0,"Order":null,"Tablock":false}}

-- upsert from the staging table
MERGE INTO [StockData] WITH (HOLDLOCK) AS t
USING [#stage_StockData] AS s
ON t.[StockName] = s.[StockName] AND t.[Date] = s.[Date]
WHEN MATCHED AND t.[IngestedAt] <= s.[IngestedAt] THEN UPDATE SET [Open] = s.[Open], [High] = s.[High], [Low] = s.[Low], [Close] = s.[Close], [Volume] = s.[Volume], [Imputed] = s.[Imputed], [IngestedAt] = s.[IngestedAt]
WHEN NOT MATCHED BY TARGET THEN INSERT ([StockName], [Date], [Open], [High], [Low], [Close], [Volume], [Imputed], [IngestedAt]) VALUES (s.[StockName], s.[Date], s.[Open], s.[High], s.[Low], s.[Close], s.[Volume], s.[Imputed], s.[IngestedAt]);

