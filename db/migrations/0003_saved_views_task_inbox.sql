CREATE TABLE "saved_views" (
	"actor_id" text NOT NULL,
	"name" text NOT NULL,
	"query" jsonb NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "saved_views_actor_id_name_pk" PRIMARY KEY("actor_id","name")
);
--> statement-breakpoint
CREATE INDEX "tasks_role_status_idx" ON "tasks" USING btree ("assignee_role","status");