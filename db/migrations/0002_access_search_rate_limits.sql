CREATE TABLE "rate_limit_counters" (
	"key" text PRIMARY KEY NOT NULL,
	"window_start" timestamp (3) with time zone NOT NULL,
	"hits" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "access" text[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "search_text" text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX "cases_access_idx" ON "cases" USING gin ("access");--> statement-breakpoint
-- Existing cases: visible to their owner and internal participants (templates had no view roles
-- yet), searchable by key, title and every field value (no field was sensitive yet). Later
-- projections keep both columns current.
UPDATE "cases" SET
  "access" = ARRAY(
    SELECT 'user:' || "owner" WHERE "owner" IS NOT NULL
    UNION
    SELECT 'user:' || p."user_id" FROM "participants" p WHERE p."case_key" = "cases"."key" AND p."kind" = 'internal' AND p."user_id" IS NOT NULL
  ),
  "search_text" = concat_ws(E'\n', "key", "title", (SELECT string_agg(f.value, E'\n') FROM jsonb_each_text("fields") f));
