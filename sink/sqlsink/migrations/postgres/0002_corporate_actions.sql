-- The corporate_actions table, derived from its dataset (see package sink).
CREATE TABLE "corporate_actions" (
    "symbol" VARCHAR(16) NOT NULL,
    "ex_date" DATE NOT NULL,
    "action" VARCHAR(16) NOT NULL,
    "amount" DOUBLE PRECISION,
    "numerator" DOUBLE PRECISION,
    "denominator" DOUBLE PRECISION,
    "ingested_at" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "corporate_actions_pkey" PRIMARY KEY ("symbol", "ex_date", "action")
);
