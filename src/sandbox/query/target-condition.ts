// Rules for an IoT Edge deployment's target condition (reference §1.5): a condition over deviceId,
// tags.* and properties.reported.* only, single quotes only. The service rejects anything else with
// InvalidConfigurationTargetCondition; the hub model turns a QueryError from here into that answer.
import { forEachPath, type PathExpr } from './ast.js';
import { QueryError } from './errors.js';
import { parseCondition } from './parser.js';

const ALLOWED = 'a target condition may only use deviceId, tags.<name> and properties.reported.<name>';

export function checkTargetCondition(expression: string): void {
  if (expression.trim() === '') throw new QueryError('Target condition is empty', undefined, ALLOWED);
  const quote = expression.indexOf('"');
  if (quote >= 0) {
    throw new QueryError(
      'Double quote in target condition',
      quote + 1,
      "target conditions take single quotes only, e.g. tags.ring='canary'",
    );
  }
  let paths = 0;
  forEachPath(parseCondition(expression), (path) => {
    paths++;
    if (!isTargetable(path)) throw new QueryError(`Target condition uses '${path.text}'`, path.pos, ALLOWED);
  });
  if (paths === 0) throw new QueryError('Target condition filters on no property', undefined, ALLOWED);
}

/** Root names compare ignoring case, as every property name in the query language does. */
function isTargetable({ segments }: PathExpr): boolean {
  const [root, child] = segments.map((segment) => segment.toLowerCase());
  if (root === 'deviceid') return segments.length === 1;
  if (root === 'tags') return segments.length >= 2;
  return root === 'properties' && child === 'reported' && segments.length >= 3;
}
