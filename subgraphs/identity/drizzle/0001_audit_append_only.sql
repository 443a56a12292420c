-- The audit log is append-only: refuse edits and deletions outright. Someone who can lift this
-- (a database owner) can still tamper, and verifyAuditLog's hash chain is what catches that.
CREATE FUNCTION "identity"."audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'identity.audit_events is append-only';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_events_no_change" BEFORE UPDATE OR DELETE ON "identity"."audit_events"
  FOR EACH ROW EXECUTE FUNCTION "identity"."audit_events_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "identity"."audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "identity"."audit_events_append_only"();
