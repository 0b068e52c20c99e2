CREATE TABLE "batch_items" (
	"batch_id" text NOT NULL,
	"case_key" text NOT NULL,
	"position" integer NOT NULL,
	"outcome" text NOT NULL,
	"code" text,
	"detail" text,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "batch_items_batch_id_case_key_pk" PRIMARY KEY("batch_id","case_key")
);
--> statement-breakpoint
CREATE TABLE "batches" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"action" text NOT NULL,
	"template_key" text,
	"request" jsonb NOT NULL,
	"actor" jsonb NOT NULL,
	"status" text NOT NULL,
	"total" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE INDEX "batch_items_batch_position_idx" ON "batch_items" USING btree ("batch_id","position");--> statement-breakpoint
CREATE INDEX "batches_kind_created_idx" ON "batches" USING btree ("kind","created_at");