// Helpers the suites' resolvers share: the audit's subgraphs answer entity references by
// looking records up by their key fields.

/** The record whose fields equal every scalar field of `key` (other than __typename) it has. */
export function findByKey<T extends object>(records: readonly T[], key: Record<string, unknown>): T | undefined {
  return records.find((record) =>
    Object.entries(key).every(([field, value]) => field === '__typename' || typeof value === 'object' || !(field in record) || (record as Record<string, unknown>)[field] === value),
  );
}

/** A __resolveReference answering from `records` by key, null when none matches. */
export const resolveFrom =
  <T extends object>(records: readonly T[], shape: (record: T) => object = (record) => ({ ...record })) =>
  (key: Record<string, unknown>) => {
    const found = findByKey(records, key);
    return found ? shape(found) : null;
  };

/** A copy of `record` with only `fields`: what one subgraph knows of a shared record. */
export function pick<T extends object, K extends keyof T>(record: T, ...fields: K[]): Pick<T, K> {
  return Object.fromEntries(fields.filter((field) => field in record).map((field) => [field, record[field]])) as Pick<T, K>;
}
