// src/rollout/engine.js with the errors of rollouts journaled (see ../journal-resolver.cjs).
import * as real from '../../../src/rollout/engine.js';
import { journaled } from './journaled.js';

export * from '../../../src/rollout/engine.js';

export const runRollout = journaled('runRollout', real.runRollout);
