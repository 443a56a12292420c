CREATE TABLE "identity"."server_secrets" (
	"name" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."user_erasure_confirmations" (
	"user_id" uuid NOT NULL,
	"subgraph" text NOT NULL,
	"erased_at" timestamp with time zone NOT NULL,
	CONSTRAINT "user_erasure_confirmations_user_id_subgraph_pk" PRIMARY KEY("user_id","subgraph")
);
--> statement-breakpoint
CREATE TABLE "identity"."user_erasures" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"requested_by" uuid,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "identity"."user_keys" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "identity"."user_erasure_confirmations" ADD CONSTRAINT "user_erasure_confirmations_user_id_user_erasures_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "identity"."user_erasures"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."user_keys" ADD CONSTRAINT "user_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "identity"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "user_erasures_requested_at_idx" ON "identity"."user_erasures" USING btree ("requested_at");--> statement-breakpoint
CREATE INDEX "user_erasures_pending_idx" ON "identity"."user_erasures" USING btree ("user_id") WHERE "identity"."user_erasures"."completed_at" is null;--> statement-breakpoint
CREATE INDEX "audit_events_target_idx" ON "identity"."audit_events" USING btree ("target_id","id");