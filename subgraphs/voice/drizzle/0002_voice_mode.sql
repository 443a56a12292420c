CREATE TABLE "voice"."vocabulary_terms" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"written" text NOT NULL,
	"spoken" jsonb NOT NULL,
	"kind" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "voice"."clinical_notes" ADD COLUMN "raw_transcript" text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "vocabulary_terms_written_key" ON "voice"."vocabulary_terms" USING btree ("written");