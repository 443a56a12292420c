import { GraphQLError, parse, validate, type DocumentNode } from 'graphql';
import { ErrorCode } from '@voiceassist/errors';
import type { SubscriptionPlanner } from './planner.js';

/** Distinct operation texts kept parsed and validated. */
const DOCUMENT_CACHE_SIZE = 1_000;

/**
 * Clients send the same few operations again and again: one parsed, validated document per
 * query text serves them all (parsing and validation cost CPU, and each copy ~3 KB per
 * subscription held open).
 */
export class DocumentCache {
  readonly #documents = new Map<string, DocumentNode>();
  #planner: SubscriptionPlanner | undefined;

  /** The query's document, or why it is invalid against `planner`'s API schema. */
  validDocument(query: string, planner: SubscriptionPlanner): DocumentNode | GraphQLError[] {
    // Validated against the supergraph of their time: a reload starts over.
    if (this.#planner !== planner) {
      this.#documents.clear();
      this.#planner = planner;
    }
    const cached = this.#documents.get(query);
    if (cached) return cached;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return [new GraphQLError((error as Error).message, { extensions: { code: ErrorCode.GRAPHQL_PARSE_FAILED } })];
    }
    const validationErrors = validate(planner.graphqlApiSchema, document);
    if (validationErrors.length) {
      return validationErrors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: ErrorCode.GRAPHQL_VALIDATION_FAILED } }));
    }
    if (this.#documents.size >= DOCUMENT_CACHE_SIZE) this.#documents.delete(this.#documents.keys().next().value as string);
    this.#documents.set(query, document);
    return document;
  }
}
