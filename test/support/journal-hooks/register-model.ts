// src/model/register-model.js with the errors of registrations journaled (see ../journal-resolver.cjs).
import * as real from '../../../src/model/register-model.js';
import { journaled } from './journaled.js';

export * from '../../../src/model/register-model.js';

export const registerModel = journaled('registerModel', real.registerModel);
export const registerChecked = journaled('registerChecked', real.registerChecked);
