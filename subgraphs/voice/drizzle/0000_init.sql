CREATE SCHEMA "voice";
--> statement-breakpoint
CREATE TYPE "voice"."dictation_status" AS ENUM('ACTIVE', 'FINISHED', 'EXPIRED');--> statement-breakpoint
CREATE TYPE "voice"."note_kind" AS ENUM('SOAP', 'FREE_TEXT');--> statement-breakpoint
CREATE TABLE "voice"."clinical_notes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"session_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" "voice"."note_kind" NOT NULL,
	"sections" jsonb NOT NULL,
	"transcript" text NOT NULL,
	"generated_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "voice"."dictation_chunks" (
	"session_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"source" text NOT NULL,
	"text" text NOT NULL,
	"duration_ms" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dictation_chunks_session_id_seq_pk" PRIMARY KEY("session_id","seq")
);
--> statement-breakpoint
CREATE TABLE "voice"."dictation_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" "voice"."note_kind" DEFAULT 'SOAP' NOT NULL,
	"status" "voice"."dictation_status" DEFAULT 'ACTIVE' NOT NULL,
	"next_seq" integer DEFAULT 0 NOT NULL,
	"chunk_count" integer DEFAULT 0 NOT NULL,
	"pending" integer DEFAULT 0 NOT NULL,
	"duration_ms" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_activity_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "voice"."preferences" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"voice" text,
	"rate" double precision DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "voice"."clinical_notes" ADD CONSTRAINT "clinical_notes_session_id_dictation_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "voice"."dictation_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice"."dictation_chunks" ADD CONSTRAINT "dictation_chunks_session_id_dictation_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "voice"."dictation_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "clinical_notes_session_key" ON "voice"."clinical_notes" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "clinical_notes_user_idx" ON "voice"."clinical_notes" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "dictation_sessions_user_idx" ON "voice"."dictation_sessions" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "dictation_sessions_active_idx" ON "voice"."dictation_sessions" USING btree ("status","last_activity_at");