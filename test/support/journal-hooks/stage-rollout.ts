// src/stages/rollout.js with the outputs, summaries and errors of stage runs journaled (see ../journal-resolver.cjs).
import * as real from '../../../src/stages/rollout.js';
import { journaled } from './journaled.js';

export * from '../../../src/stages/rollout.js';

export const runRolloutStage = journaled('runRolloutStage', real.runRolloutStage);
