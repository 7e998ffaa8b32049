// A jest resolver that puts journaling wrappers (test/support/journal-hooks/) in place of the modules that
// write what a user reads (loggers, stage runs, the CLI) or make secrets (sandboxes), for every
// importer — tests and src alike — except the wrappers themselves, which get the real module. This
// leaves src/ unchanged and needs no test to opt in.
const { dirname, join, resolve } = require('node:path');

const root = resolve(__dirname, '..', '..');
const wrappers = join(__dirname, 'journal-hooks');
const WRAPPED = {
  'src/logger.ts': 'logger.ts',
  'src/sandbox/index.ts': 'sandbox-hub.ts',
  'src/sandbox/aml/index.ts': 'sandbox-aml.ts',
  'src/sandbox/acr/index.ts': 'sandbox-acr.ts',
  'src/stages/index.ts': 'stages.ts',
  'src/stages/register-model.ts': 'stage-register-model.ts',
  'src/stages/build-image.ts': 'stage-build-image.ts',
  'src/stages/rollout.ts': 'stage-rollout.ts',
  'src/model/register-model.ts': 'register-model.ts',
  'src/rollout/engine.ts': 'rollout-engine.ts',
  'src/cli/main.ts': 'cli-main.ts',
};
const byRealPath = new Map(
  Object.entries(WRAPPED).map(([real, wrapper]) => [join(root, real), join(wrappers, wrapper)]),
);

module.exports = (request, options) => {
  const resolved = options.defaultResolver(request, options);
  const wrapper = byRealPath.get(resolved);
  if (!wrapper || dirname(wrapper) === options.basedir) return resolved;
  return wrapper;
};
