// src/stages/build-image.js with the outputs, summaries and errors of stage runs journaled (see ../journal-resolver.cjs).
import * as real from '../../../src/stages/build-image.js';
import { journaled } from './journaled.js';

export * from '../../../src/stages/build-image.js';

export const runBuildImage = journaled('runBuildImage', real.runBuildImage);
export const buildImageFromInputs = journaled('buildImageFromInputs', real.buildImageFromInputs);
