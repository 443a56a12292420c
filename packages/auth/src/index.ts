export * from './roles.js';
export * from './revocations.js';
export * from './tokens.js';
export * from './permissions.js';
