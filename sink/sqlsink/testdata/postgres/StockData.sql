-- upsert of 2 rows given as parameters
INSERT INTO "StockData" ("StockName", "Date", "Open", "High", "Low", "Close", "Volume", "Imputed", "IngestedAt") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9), ($10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT ("StockName", "Date") DO UPDATE SET "Open" = EXCLUDED."Open", "High" = EXCLUDED."High", "Low" = EXCLUDED."Low", "Close" = EXCLUDED."Close", "Volume" = EXCLUDED."Volume", "Imputed" = EXCLUDED."Imputed", "IngestedAt" = EXCLUDED."IngestedAt" WHERE "StockData"."IngestedAt" <= EXCLUDED."IngestedAt";

-- staging table for COPY
CREATE TEMP TABLE "tl_stage_StockData" (LIKE "StockData" INCLUDING DEFAULTS) ON COMMIT DROP;

-- upsert from the staging table
INSERT INTO "StockData" ("StockName", "Date", "Open", "High", "Low", "Close", "Volume", "Imputed", "IngestedAt") SELECT "StockName", "Date", "Open", "High", "Low", "Close", "Volume", "Imputed", "IngestedAt" FROM "tl_stage_StockData" ON CONFLICT ("StockName", "Date") DO UPDATE SET "Open" = EXCLUDED."Open", "High" = EXCLUDED."High", "Low" = EXCLUDED."Low", "Close" = EXCLUDED."Close", "Volume" = EXCLUDED."Volume", "Imputed" = EXCLUDED."Imputed", "IngestedAt" = EXCLUDED."IngestedAt" WHERE "StockData"."IngestedAt" <= EXCLUDED."IngestedAt";
