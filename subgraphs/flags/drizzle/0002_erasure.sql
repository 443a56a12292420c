CREATE TABLE "flags"."erased_users" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"erased_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "flags"."flag_events" ADD COLUMN "reason" text;