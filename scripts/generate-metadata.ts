// `npm run generate`: writes every action.yml and the README's input/output tables from the table.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ACTION_NAMES } from '../src/action/input-table.js';
import { ACTIONS, actionYaml, readmeTables, replaceBetweenMarkers } from '../src/action/metadata.js';

for (const action of ACTION_NAMES) {
  const dir = ACTIONS[action].dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'action.yml'), actionYaml(action));
}
const tables = readmeTables();
let readme = readFileSync('README.md', 'utf8');
readme = replaceBetweenMarkers(readme, 'inputs', tables.inputs);
readme = replaceBetweenMarkers(readme, 'outputs', tables.outputs);
writeFileSync('README.md', readme);
console.log(`wrote ${ACTION_NAMES.length} action.yml files and the README tables`);
