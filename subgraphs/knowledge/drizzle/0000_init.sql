CREATE SCHEMA "knowledge";
--> statement-breakpoint
CREATE TYPE "knowledge"."document_status" AS ENUM('PENDING', 'INDEXING', 'READY', 'FAILED');--> statement-breakpoint
CREATE TABLE "knowledge"."chunks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"document_id" uuid NOT NULL,
	"ordinal" integer NOT NULL,
	"document_title" text NOT NULL,
	"heading" text,
	"content" text NOT NULL,
	"page" integer,
	"page_end" integer,
	"embedding" "bytea" NOT NULL,
	"embedding_model" text NOT NULL,
	"embedding_dimension" smallint NOT NULL,
	"search_vector" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english', document_title || ' ' || coalesce(heading, '')), 'A') || setweight(to_tsvector('english', content), 'B')) STORED NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge"."documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" text NOT NULL,
	"source" text,
	"mime_type" text NOT NULL,
	"content_hash" text NOT NULL,
	"content" "bytea" NOT NULL,
	"byte_size" integer NOT NULL,
	"status" "knowledge"."document_status" DEFAULT 'PENDING' NOT NULL,
	"error" text,
	"chunk_count" integer DEFAULT 0 NOT NULL,
	"indexed_chunks" integer DEFAULT 0 NOT NULL,
	"total_chunks" integer DEFAULT 0 NOT NULL,
	"page_count" integer,
	"embedding_model" text,
	"embedding_dimension" integer,
	"revision" integer DEFAULT 0 NOT NULL,
	"generation" integer DEFAULT 0 NOT NULL,
	"lease_until" timestamp with time zone,
	"lease_token" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"indexed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "knowledge"."index_state" (
	"id" smallint PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "knowledge"."chunks" ADD CONSTRAINT "chunks_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "knowledge"."documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "chunks_document_ordinal_key" ON "knowledge"."chunks" USING btree ("document_id","ordinal");--> statement-breakpoint
CREATE INDEX "chunks_search_vector_idx" ON "knowledge"."chunks" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "chunks_model_idx" ON "knowledge"."chunks" USING btree ("embedding_model","embedding_dimension");--> statement-breakpoint
CREATE UNIQUE INDEX "documents_content_hash_key" ON "knowledge"."documents" USING btree ("content_hash");--> statement-breakpoint
CREATE INDEX "documents_created_at_idx" ON "knowledge"."documents" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "documents_status_idx" ON "knowledge"."documents" USING btree ("status","created_at","id");