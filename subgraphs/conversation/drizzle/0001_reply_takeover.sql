CREATE TABLE "conversation"."reply_prompts" (
	"message_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"prompt" jsonb NOT NULL,
	"passages" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conversation"."messages" ADD COLUMN "generator_id" text;--> statement-breakpoint
ALTER TABLE "conversation"."messages" ADD COLUMN "lease_renewed_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "conversation"."messages" ADD COLUMN "streamed_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "conversation"."reply_prompts" ADD CONSTRAINT "reply_prompts_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "conversation"."messages"("id") ON DELETE cascade ON UPDATE no action;