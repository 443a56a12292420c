-- The one global version row every flag change locks and bumps.
INSERT INTO "flags"."version_counter" ("id", "version", "pruned_through") VALUES (1, 0, 0) ON CONFLICT ("id") DO NOTHING;
