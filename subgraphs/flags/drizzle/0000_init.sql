CREATE SCHEMA "flags";
--> statement-breakpoint
CREATE TYPE "flags"."change_action" AS ENUM('CREATED', 'UPDATED', 'DELETED');--> statement-breakpoint
CREATE TYPE "flags"."schedule_status" AS ENUM('PENDING', 'APPLIED', 'CANCELLED', 'FAILED');--> statement-breakpoint
CREATE TYPE "flags"."visibility" AS ENUM('PUBLIC', 'AUTHENTICATED', 'ADMIN', 'INTERNAL');--> statement-breakpoint
CREATE TABLE "flags"."flag_events" (
	"version" integer PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"action" "flags"."change_action" NOT NULL,
	"actor_id" text,
	"scheduled_change_id" uuid,
	"before" jsonb,
	"after" jsonb,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "flags"."flags" (
	"key" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"visibility" "flags"."visibility" NOT NULL,
	"variants" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"rules" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"rollout_percentage" integer DEFAULT 100 NOT NULL,
	"version" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "flags"."scheduled_changes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"flag_key" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"changes" jsonb NOT NULL,
	"status" "flags"."schedule_status" DEFAULT 'PENDING' NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone NOT NULL,
	"applied_at" timestamp with time zone,
	"applied_version" integer,
	"cancelled_at" timestamp with time zone,
	"cancelled_by" text,
	"failure_reason" text
);
--> statement-breakpoint
CREATE TABLE "flags"."version_counter" (
	"id" smallint PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"pruned_through" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX "flag_events_key_idx" ON "flags"."flag_events" USING btree ("key","version");--> statement-breakpoint
CREATE INDEX "flag_events_occurred_at_idx" ON "flags"."flag_events" USING btree ("occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "scheduled_changes_pending_key_at" ON "flags"."scheduled_changes" USING btree ("flag_key","at") WHERE "flags"."scheduled_changes"."status" = 'PENDING';--> statement-breakpoint
CREATE INDEX "scheduled_changes_due_idx" ON "flags"."scheduled_changes" USING btree ("at") WHERE "flags"."scheduled_changes"."status" = 'PENDING';--> statement-breakpoint
CREATE INDEX "scheduled_changes_key_idx" ON "flags"."scheduled_changes" USING btree ("flag_key","at");