// The blob layout and names of a registration: where each file goes, which blob carries the upload
// mark, the azureml:// URI and ARM ids, and the blob URL of a datastore (cloud or emulator).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobAccountUrl } from '../../../src/model/datastore-access.js';
import { datastoreUri, modelVersionId, uploadLayout, workspacePath } from '../../../src/model/model-paths.js';
import { compareAsSdk, scanModel } from '../../../src/model/model-scan.js';

const REF = { subscriptionId: '00000000-0000-0000-0000-000000000001', resourceGroup: 'rg', workspace: 'ws' };
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'layout-'));
  mkdirSync(join(root, 'resnet', 'Sub'), { recursive: true });
  for (const name of ['b.txt', 'A.txt', 'Sub/z.bin', '_x.txt'])
    writeFileSync(join(root, 'resnet', name), name);
  writeFileSync(join(root, 'model.onnx'), 'm');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('upload layout', () => {
  test('a file lands at LocalUpload/<hash>/<file name>, which is also its indicator', () => {
    const layout = uploadLayout(scanModel(join(root, 'model.onnx')), 'abc');
    expect(layout.assetPath).toBe('LocalUpload/abc/model.onnx');
    expect(layout.blobs.map((b) => b.blobName)).toEqual(['LocalUpload/abc/model.onnx']);
    expect(layout.indicatorBlob).toBe('LocalUpload/abc/model.onnx');
  });

  test('a folder lands under LocalUpload/<hash>/<folder name>/; the indicator is the first path by code point', () => {
    const layout = uploadLayout(scanModel(join(root, 'resnet')), 'abc');
    expect(layout.assetPath).toBe('LocalUpload/abc/resnet');
    expect(layout.blobs.map((b) => b.blobName).sort()).toEqual(
      [
        'LocalUpload/abc/resnet/A.txt',
        'LocalUpload/abc/resnet/Sub/z.bin',
        'LocalUpload/abc/resnet/_x.txt',
        'LocalUpload/abc/resnet/b.txt',
      ].sort(),
    );
    // Python sorts 'A.txt' < 'Sub/z.bin' < '_x.txt' < 'b.txt' (upper case before '_' before lower case).
    expect(layout.indicatorBlob).toBe('LocalUpload/abc/resnet/A.txt');
  });

  test('a legacy origin keeps the rest of the layout', () => {
    expect(uploadLayout(scanModel(join(root, 'model.onnx')), 'abc', 'az-ml-artifacts').assetPath).toBe(
      'az-ml-artifacts/abc/model.onnx',
    );
  });
});

describe('names and URIs', () => {
  test('the long azureml:// datastore URI', () => {
    expect(datastoreUri(REF, 'workspaceblobstore', 'LocalUpload/abc/model.onnx')).toBe(
      'azureml://subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg/workspaces/ws/datastores/workspaceblobstore/paths/LocalUpload/abc/model.onnx',
    );
  });

  test('ARM ids and paths', () => {
    expect(modelVersionId(REF, 'resnet', '3')).toBe(
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/models/resnet/versions/3',
    );
    expect(workspacePath({ ...REF, resourceGroup: 'rg (prod)' })).toContain('/resourceGroups/rg%20(prod)/');
  });

  test.each([
    [
      { accountName: 'acct', endpoint: 'core.windows.net', protocol: 'https' },
      'https://acct.blob.core.windows.net',
    ],
    [
      { accountName: 'acct', endpoint: 'core.usgovcloudapi.net', protocol: 'https' },
      'https://acct.blob.core.usgovcloudapi.net',
    ],
    [
      { accountName: 'devstoreaccount1', endpoint: '127.0.0.1:10000', protocol: 'http' },
      'http://127.0.0.1:10000/devstoreaccount1',
    ],
    [
      { accountName: 'devstoreaccount1', endpoint: 'localhost:10000', protocol: 'https' },
      'https://localhost:10000/devstoreaccount1',
    ],
    [
      { accountName: 'devstoreaccount1', endpoint: '[::1]:10000', protocol: 'https' },
      'https://[::1]:10000/devstoreaccount1',
    ],
  ])('blob account URL of %j', (datastore, url) => {
    expect(blobAccountUrl(datastore)).toBe(url);
  });

  test.each([
    [
      ['b', 'A', 'a', '_c'],
      ['_c', 'A', 'a', 'b'],
    ],
    [
      ['Zeta', 'alpha', 'Beta'],
      ['alpha', 'Beta', 'Zeta'],
    ],
    [
      ['é', 'z', 'E'],
      ['E', 'z', 'é'],
    ],
  ])('entries sort as Python sorts lower-cased names: %j', (names, sorted) => {
    expect([...names].sort(compareAsSdk)).toEqual(sorted);
  });
});
