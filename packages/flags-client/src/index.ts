export * from './definition.js';
export { BUCKETS, bucketOf, bucketingKeyOf, evaluateFlag, murmur3, needsEmail, ruleMatches, variantFor } from './evaluate.js';
export { createFlagsClient, feedUrl, type FlagChangeNotice, type FlagsClient, type FlagsClientLogger, type FlagsClientOptions } from './client.js';
export { FLAGS_FEED_PATH, FLAGS_SERVICE_TOKEN_HEADER } from './feed-protocol.js';
