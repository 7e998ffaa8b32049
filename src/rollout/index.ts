// The pure logic of staged rollouts: rings, target conditions, release ids, state labels, gates, the
// query budget, query strings, plans and retention. No I/O; the hub adapter and the state machine
// call these.
export * from './architectures.js';
export * from './deployments.js';
export * from './gate.js';
export * from './plan.js';
export * from './problems.js';
export * from './quantities.js';
export * from './queries.js';
export * from './query-budget.js';
export * from './release-id.js';
export * from './retention.js';
export * from './rings.js';
export * from './state-labels.js';
export * from './target-condition.js';
// The state machine (hub I/O only through the HubClient it is given) and its report. The hub
// connection (connect.ts) and the stage's input mapping (rollout-inputs.ts) are imported directly.
export * from './engine.js';
export * from './engine-errors.js';
export * from './engine-types.js';
export * from './report.js';
