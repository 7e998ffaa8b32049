import { expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARED } from '../../support/paths.js';

const BUNDLED = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'edge', 'schemas');
const files = readdirSync(BUNDLED).filter((file) => file.endsWith('.json'));

test('the bundled schemas are the four official manifest schemas', () => {
  expect(files.sort()).toEqual([
    'azure-iot-edge-deployment-2.0.json',
    'azure-iot-edge-deployment-template-4.0.json',
    'azure-iot-edgeagent-deployment-1.1.json',
    'azure-iot-edgehub-deployment-1.2.json',
  ]);
});

test.each(files)('%s has the same content as ../shared/schemas', (file) => {
  const read = (dir: string): unknown => JSON.parse(readFileSync(join(dir, file), 'utf8'));
  expect(read(BUNDLED)).toEqual(read(join(SHARED, 'schemas')));
});
