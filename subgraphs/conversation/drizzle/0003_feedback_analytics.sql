CREATE TYPE "conversation"."feedback_reason" AS ENUM('INACCURATE', 'INCOMPLETE', 'UNHELPFUL', 'UNSAFE', 'WRONG_CITATION', 'TOO_LONG', 'OTHER');--> statement-breakpoint
CREATE TYPE "conversation"."rating" AS ENUM('POSITIVE', 'NEGATIVE');--> statement-breakpoint
CREATE TABLE "conversation"."message_ratings" (
	"message_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"rating" "conversation"."rating" NOT NULL,
	"reason" "conversation"."feedback_reason",
	"comment" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conversation"."messages" ADD COLUMN "first_token_ms" integer;--> statement-breakpoint
ALTER TABLE "conversation"."message_ratings" ADD CONSTRAINT "message_ratings_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "conversation"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "message_ratings_updated_idx" ON "conversation"."message_ratings" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "message_ratings_user_idx" ON "conversation"."message_ratings" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "conversations_created_idx" ON "conversation"."conversations" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "messages_created_idx" ON "conversation"."messages" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "token_usage_created_idx" ON "conversation"."token_usage" USING btree ("created_at");