-- upsert of 2 rows given as parameters
MERGE INTO [corporate_actions] WITH (HOLDLOCK) AS t
USING (VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7), (@p8, @p9, @p10, @p11, @p12, @p13, @p14)) AS s ([symbol], [ex_date], [action], [amount], [numerator], [denominator], [ingested_at])
ON t.[symbol] = s.[symbol] AND t.[ex_date] = s.[ex_date] AND t.[action] = s.[action]
WHEN MATCHED AND t.[ingested_at] <= s.[ingested_at] THEN UPDATE SET [amount] = s.[amount], [numerator] = s.[numerator], [denominator] = s.[denominator], [ingested_at] = s.[ingested_at]
WHEN NOT MATCHED BY TARGET THEN INSERT ([symbol], [ex_date], [action], [amount], [numerator], [denominator], [ingested_at]) VALUES (s.[symbol], s.[ex_date], s.[action], s.[amount], s.[numerator], s.[denominator], s.[ingested_at]);

-- staging table for bulk copy
DROP TABLE IF EXISTS [#stage_corporate_actions];
SELECT TOP 0 [symbol], [ex_date], [action], [amount], [numerator], [denominator], [ingested_at] INTO [#stage_corporate_actions] FROM [corporate_actions];

-- bulk copy into the staging table
INSERTBULK {"TableName":"#stage_corporate_actions","ColumnsName":["symbol","ex_date","action","amount","numerator","denominator","ingested_at"],"Options":{"CheckConstraints":true,"FireTriggers":false,"KeepNulls":false,"KilobytesPerBatch":0,"RowsPerBatch":0,"Order":null,"Tablock":false}}

-- upsert from the staging table
MERGE INTO [corporate_actions] WITH (HOLDLOCK) AS t
USING [#stage_corporate_actions] AS s
ON t.[symbol] = s.[symbol] AND t.[ex_date] = s.[ex_date] AND t.[action] = s.[action]
WHEN MATCHED AND t.[ingested_at] <= s.[ingested_at] THEN UPDATE SET [amount] = s.[amount], [numerator] = s.[numerator], [denominator] = s.[denominator], [ingested_at] = s.[ingested_at]
WHEN NOT MATCHED BY TARGET THEN INSERT ([symbol], [ex_date], [action], [amount], [numerator], [denominator], [ingested_at]) VALUES (s.[symbol], s.[ex_date], s.[action], s.[amount], s.[numerator], s.[denominator], s.[ingested_at]);

