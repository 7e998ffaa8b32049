// The job summary section and the step outputs of a registration. Neither holds a secret: the SAS
// never leaves the datastore access, and the URI and ids name resources only.
import type { RegisteredModel } from './register-model.js';
import { formatBytes } from './upload-progress.js';
import { factsTable } from '../markdown.js';

/** Outputs under the names the input table declares. */
export function registrationOutputs(model: RegisteredModel): Record<string, string> {
  return {
    'model-name': model.name,
    'model-version': model.version,
    'model-id': model.id,
    'model-uri': model.uri,
    'model-hash': model.hash,
  };
}

function portalLink(model: RegisteredModel): string {
  const { subscriptionId, resourceGroup, workspace } = model.workspace;
  const wsid = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}`;
  return `https://ml.azure.com/model/${encodeURIComponent(model.name)}:${encodeURIComponent(model.version)}/details?wsid=${encodeURIComponent(wsid)}`;
}

export function registrationSummary(model: RegisteredModel): string {
  const upload = model.uploadedBytes
    ? `${formatBytes(model.uploadedBytes)} in ${model.fileCount} file(s)`
    : `nothing (this content, ${formatBytes(model.modelBytes)}, was already in the datastore)`;
  const rows: [string, string][] = [
    [
      'Model',
      `\`${model.name}\` version \`${model.version}\` ${model.created ? '(new)' : '(already registered with this content)'}`,
    ],
    ['Content hash', `\`${model.hash}\``],
    ['Uploaded', upload],
    ['Model URI', `\`${model.uri}\``],
    ['Workspace', `\`${model.workspace.workspace}\` in resource group \`${model.workspace.resourceGroup}\``],
    ['Studio', `[open the model](${portalLink(model)})`],
  ];
  return factsTable('### Model registered in Azure ML', rows);
}
