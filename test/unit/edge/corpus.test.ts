// Every real template and manifest in ../shared/corpus expands and validates. Module placeholders
// are filled from a mapping built from the placeholders each file uses; registry variables come from
// a test environment. A file that is genuinely invalid is listed below by name, with the reason.
import { describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expandTemplate, manifestProblems, templateProblems } from '../../../src/edge/index.js';
import { schemaProblems, schemaValidators } from '../../../src/edge/schemas.js';
import { SHARED } from '../../support/paths.js';

const CORPUS = join(SHARED, 'corpus', 'deployment-templates');
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const ENV = {
  CONTAINER_REGISTRY_ADDRESS: 'registry.example.com',
  CONTAINER_REGISTRY_USERNAME: 'puller',
  CONTAINER_REGISTRY_PASSWORD: 'not-a-real-password',
};

// Folder name = the schema the file was written for (SchemaStore's test layout).
const files = readdirSync(CORPUS).flatMap((folder) =>
  readdirSync(join(CORPUS, folder)).map((file) => ({ folder, file, name: `${folder}/${file}` })),
);

/** `${MODULES.<name>...}` placeholders found in the text → one digest-pinned image per module name. */
function moduleImagesFor(text: string): Record<string, string> {
  const names = Array.from(text.matchAll(/\$\{MODULES\.([^.}]+)[^}]*\}/g), (match) => match[1] as string);
  return Object.fromEntries(
    names.map((name) => [name, `registry.example.com/${name.toLowerCase()}@${DIGEST}`]),
  );
}

// Genuinely invalid: $edgeAgent's systemModules.edgeAgent carries `https_proxy: {value}` beside its
// settings, where only type/settings/env/imagePullPolicy are allowed (edgeAgent schema 1.1 and the
// deployment 2.0 schema). It is an environment variable put one level too high; the template 4.0
// schema, which leaves systemModules.edgeAgent open, lets it through before expansion.
const INVALID: Record<string, { path: string; message: string; fix: string }> = {
  'azure-iot-edge-deployment-template-4.0/nestededge_isa95_smoke_test_BaseDeployment.json': {
    path: "$.modulesContent.$edgeAgent['properties.desired'].systemModules.edgeAgent.https_proxy",
    message: "'https_proxy' is not allowed here (allowed: type, settings, env, imagePullPolicy)",
    fix: "'https_proxy' looks like an environment variable: move it into env",
  },
};

describe('the deployment-template corpus', () => {
  test('is there: 24 files in 6 schema folders', () => {
    expect(files).toHaveLength(24);
    expect(new Set(files.map((f) => f.folder)).size).toBe(6);
  });

  describe.each(files)('$name', ({ folder, name }) => {
    const text = readFileSync(join(CORPUS, name), 'utf8');

    test('expands with its module images and the test environment, leaving no variable behind', () => {
      const { manifest, leftAsWritten } = expandTemplate(text, {
        modules: moduleImagesFor(text),
        env: ENV,
        file: name,
      });
      expect(leftAsWritten).toEqual([]);
      expect(JSON.stringify(manifest)).not.toContain('${MODULES.');
      expect(manifest).not.toHaveProperty(['$schema-template']);
    });

    const invalid = INVALID[name];
    test(invalid ? 'is INVALID, for the reason recorded above' : 'validates', () => {
      const { manifest } = expandTemplate(text, { modules: moduleImagesFor(text), env: ENV });
      expect(manifestProblems(manifest)).toEqual(invalid ? [invalid] : []);
    });

    // The schemas shipped here are deployment 2.0 and template 4.0; the older folders' schemas are not.
    if (folder === 'azure-iot-edge-deployment-2.0') {
      test('is valid against azure-iot-edge-deployment-2.0 as written', () => {
        expect(schemaProblems(schemaValidators().deployment, JSON.parse(text), [])).toEqual([]);
      });
    }
    if (folder === 'azure-iot-edge-deployment-template-4.0') {
      test('is valid against azure-iot-edge-deployment-template-4.0 as written', () => {
        expect(templateProblems(JSON.parse(text))).toEqual([]);
      });
    }
  });
});
