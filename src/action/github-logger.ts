import * as core from '@actions/core';
import type { Logger } from '../logger.js';

/** Logger for the Actions runner: groups, annotations and debug lines the runner understands. */
export const githubLogger: Logger = {
  info: (message) => core.info(message),
  warning: (message, annotation) => core.warning(message, annotation),
  error: (message, annotation) => core.error(message, annotation),
  debug: (message) => core.debug(message),
  group: (title, fn) => core.group(title, fn),
};
