ALTER TABLE "conversation"."conversations" ADD COLUMN "memory_summary" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "conversation"."conversations" ADD COLUMN "summarized_through" integer DEFAULT -1 NOT NULL;--> statement-breakpoint
ALTER TABLE "conversation"."messages" ADD COLUMN "citation_checks" jsonb DEFAULT '[]'::jsonb NOT NULL;