// src/stages/register-model.js with the outputs, summaries and errors of stage runs journaled (see ../journal-resolver.cjs).
import * as real from '../../../src/stages/register-model.js';
import { journaled } from './journaled.js';

export * from '../../../src/stages/register-model.js';

export const runRegisterModel = journaled('runRegisterModel', real.runRegisterModel);
