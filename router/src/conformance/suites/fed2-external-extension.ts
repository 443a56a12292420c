// Same records and resolvers as the other fed1/fed2 external suites; only the schemas differ.
export { default } from './users-with-provided-name.js';
