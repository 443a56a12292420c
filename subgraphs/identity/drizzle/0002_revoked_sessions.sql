CREATE TABLE "identity"."revoked_sessions" (
	"session_id" uuid PRIMARY KEY NOT NULL,
	"revoked_at" timestamp with time zone NOT NULL,
	"keep_until" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "revoked_sessions_revoked_at_idx" ON "identity"."revoked_sessions" USING btree ("revoked_at");--> statement-breakpoint
CREATE INDEX "revoked_sessions_keep_until_idx" ON "identity"."revoked_sessions" USING btree ("keep_until");--> statement-breakpoint
-- Sessions revoked before this table existed (their revocations lived only in Redis): kept a day,
-- longer than any access token of theirs can live.
INSERT INTO "identity"."revoked_sessions" ("session_id", "revoked_at", "keep_until")
  SELECT "id", "revoked_at", "revoked_at" + interval '1 day' FROM "identity"."sessions"
  WHERE "revoked_at" > now() - interval '1 day';
