// src/stages/index.js with the outputs, summaries and errors of stage runs journaled (see ../journal-resolver.cjs).
import * as real from '../../../src/stages/index.js';
import { journaled } from './journaled.js';

export * from '../../../src/stages/index.js';

export const runStage = journaled('runStage', real.runStage);
