-- upsert of 2 rows given as parameters
INSERT INTO "corporate_actions" ("symbol", "ex_date", "action", "amount", "numerator", "denominator", "ingested_at") VALUES ($1, $2, $3, $4, $5, $6, $7), ($8, $9, $10, $11, $12, $13, $14) ON CONFLICT ("symbol", "ex_date", "action") DO UPDATE SET "amount" = EXCLUDED."amount", "numerator" = EXCLUDED."numerator", "denominator" = EXCLUDED."denominator", "ingested_at" = EXCLUDED."ingested_at" WHERE "corporate_actions"."ingested_at" <= EXCLUDED."ingested_at";

-- staging table for COPY
CREATE TEMP TABLE "tl_stage_corporate_actions" (LIKE "corporate_actions" INCLUDING DEFAULTS) ON COMMIT DROP;

-- upsert from the staging table
INSERT INTO "corporate_actions" ("symbol", "ex_date", "action", "amount", "numerator", "denominator", "ingested_at") SELECT "symbol", "ex_date", "action", "amount", "numerator", "denominator", "ingested_at" FROM "tl_stage_corporate_actions" ON CONFLICT ("symbol", "ex_date", "action") DO UPDATE SET "amount" = EXCLUDED."amount", "numerator" = EXCLUDED."numerator", "denominator" = EXCLUDED."denominator", "ingested_at" = EXCLUDED."ingested_at" WHERE "corporate_actions"."ingested_at" <= EXCLUDED."ingested_at";
