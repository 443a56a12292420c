CREATE SCHEMA "conversation";
--> statement-breakpoint
CREATE TYPE "conversation"."message_role" AS ENUM('USER', 'ASSISTANT', 'SYSTEM');--> statement-breakpoint
CREATE TYPE "conversation"."message_status" AS ENUM('STREAMING', 'COMPLETE', 'CANCELLED', 'FAILED');--> statement-breakpoint
CREATE TABLE "conversation"."conversations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"title" text NOT NULL,
	"untitled" boolean DEFAULT false NOT NULL,
	"archived" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conversation_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"role" "conversation"."message_role" NOT NULL,
	"content" text DEFAULT '' NOT NULL,
	"status" "conversation"."message_status" NOT NULL,
	"use_knowledge" boolean DEFAULT true NOT NULL,
	"citations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"prompt_tokens" integer,
	"completion_tokens" integer,
	"model" text,
	"error_code" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."token_usage" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"message_id" uuid NOT NULL,
	"prompt_tokens" integer NOT NULL,
	"completion_tokens" integer NOT NULL,
	"model" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conversation"."messages" ADD CONSTRAINT "messages_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "conversation"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "conversations_owner_updated_idx" ON "conversation"."conversations" USING btree ("owner_id","updated_at","id");--> statement-breakpoint
CREATE INDEX "conversations_title_search_idx" ON "conversation"."conversations" USING gin (to_tsvector('english', "title"));--> statement-breakpoint
CREATE UNIQUE INDEX "messages_conversation_position_key" ON "conversation"."messages" USING btree ("conversation_id","position");--> statement-breakpoint
CREATE INDEX "messages_streaming_idx" ON "conversation"."messages" USING btree ("conversation_id") WHERE "conversation"."messages"."status" = 'STREAMING';--> statement-breakpoint
CREATE INDEX "messages_content_search_idx" ON "conversation"."messages" USING gin (to_tsvector('english', "content"));--> statement-breakpoint
CREATE INDEX "token_usage_user_created_idx" ON "conversation"."token_usage" USING btree ("user_id","created_at");