export { SCENARIOS, type Scenario } from './scenarios.js';
export { runLoadTest, type LoadTestOptions, type LoadTestSummary } from './run.js';
