CREATE TABLE "templates" (
	"key" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"definition" jsonb NOT NULL,
	"source" text,
	"published_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"published_by" text NOT NULL,
	CONSTRAINT "templates_key_version_pk" PRIMARY KEY("key","version")
);
--> statement-breakpoint
CREATE TABLE "case_sequences" (
	"prefix" text PRIMARY KEY NOT NULL,
	"template_key" text NOT NULL,
	"last_number" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"key" text PRIMARY KEY NOT NULL,
	"template_key" text NOT NULL,
	"template_version" integer NOT NULL,
	"title" text NOT NULL,
	"status" text NOT NULL,
	"stage" text NOT NULL,
	"owner" text,
	"fields" jsonb NOT NULL,
	"view" jsonb NOT NULL,
	"last_seq" integer NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"closed_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "case_events" (
	"case_key" text NOT NULL,
	"seq" integer NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"type" text NOT NULL,
	"stage" text NOT NULL,
	"actor" jsonb NOT NULL,
	"data" jsonb NOT NULL,
	CONSTRAINT "case_events_case_key_seq_pk" PRIMARY KEY("case_key","seq")
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"case_key" text NOT NULL,
	"task_id" text NOT NULL,
	"key" text,
	"title" text NOT NULL,
	"description" text,
	"assignee" text,
	"assignee_role" text,
	"due_at" timestamp (3) with time zone,
	"status" text NOT NULL,
	"stage" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"completed_at" timestamp (3) with time zone,
	"completed_by" text,
	CONSTRAINT "tasks_case_key_task_id_pk" PRIMARY KEY("case_key","task_id")
);
--> statement-breakpoint
CREATE TABLE "participants" (
	"case_key" text NOT NULL,
	"participant_id" text NOT NULL,
	"kind" text NOT NULL,
	"role" text NOT NULL,
	"name" text NOT NULL,
	"user_id" text,
	"email" text,
	"added_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "participants_case_key_participant_id_pk" PRIMARY KEY("case_key","participant_id")
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"actor_id" text NOT NULL,
	"actor_name" text NOT NULL,
	"roles" text[] DEFAULT '{}' NOT NULL,
	"description" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp (3) with time zone,
	"expires_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"result" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE INDEX "templates_prefix_idx" ON "templates" USING btree ("prefix");--> statement-breakpoint
CREATE INDEX "cases_template_stage_idx" ON "cases" USING btree ("template_key","stage");--> statement-breakpoint
CREATE INDEX "cases_status_idx" ON "cases" USING btree ("status");--> statement-breakpoint
CREATE INDEX "cases_owner_idx" ON "cases" USING btree ("owner");--> statement-breakpoint
CREATE INDEX "cases_created_key_idx" ON "cases" USING btree ("created_at","key");--> statement-breakpoint
CREATE INDEX "case_events_type_at_idx" ON "case_events" USING btree ("type","at");--> statement-breakpoint
CREATE INDEX "tasks_assignee_status_idx" ON "tasks" USING btree ("assignee","status");--> statement-breakpoint
CREATE INDEX "tasks_status_due_idx" ON "tasks" USING btree ("status","due_at");--> statement-breakpoint
CREATE INDEX "participants_user_idx" ON "participants" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "participants_email_idx" ON "participants" USING btree ("email");