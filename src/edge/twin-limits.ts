// The twin rules IoT Hub enforces and the schemas cannot express (IoT Hub device-twin docs, "Tags and
// properties format"; quotas, reference §1.11): desired properties at most 32 KB per twin, string
// values at most 4 KB, keys at most 1 KB without '.', '$', space or control characters, objects
// nested at most 10 deep, integers within ±2^52. Every module in a deployment, $edgeAgent and
// $edgeHub included, is a twin.
import { type ManifestProblem, type PathSegment, problem } from './errors.js';
import { desiredObject, desiredParts } from './manifest-shape.js';
import { type JsonObject, type JsonValue, isJsonObject } from './types.js';

export const TWIN_LIMITS = {
  desiredBytes: 32 * 1024,
  stringValueBytes: 4 * 1024,
  keyBytes: 1024,
  depth: 10,
  maxInteger: 4503599627370495,
  minInteger: -4503599627370496,
} as const;

// eslint-disable-next-line no-control-regex -- control characters are exactly what twin keys may not hold
const BAD_KEY_CHARACTER = /[.$ \u0000-\u001f\u007f-\u009f]/;

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function keyProblems(key: string, at: PathSegment[]): ManifestProblem[] {
  const found: ManifestProblem[] = [];
  if (BAD_KEY_CHARACTER.test(key)) {
    found.push(
      problem(
        at,
        `the twin property name '${key}' holds '.', '$', a space or a control character, which twins forbid`,
        'rename the property',
      ),
    );
  }
  if (bytes(key) > TWIN_LIMITS.keyBytes) {
    found.push(
      problem(
        at,
        `the twin property name is ${bytes(key)} bytes long; at most ${TWIN_LIMITS.keyBytes} are allowed`,
        'shorten the name',
      ),
    );
  }
  return found;
}

function valueProblems(value: JsonValue, level: number, at: PathSegment[]): ManifestProblem[] {
  if (typeof value === 'string') {
    const size = bytes(value);
    return size <= TWIN_LIMITS.stringValueBytes
      ? []
      : [
          problem(
            at,
            `this twin property value is ${size} bytes; a twin string value holds at most ${TWIN_LIMITS.stringValueBytes} bytes (4 KB)`,
            'shorten it, split it over several properties, or pass a reference (a URI) to the data instead',
          ),
        ];
  }
  if (typeof value === 'number') {
    const outOfRange =
      Number.isInteger(value) && (value > TWIN_LIMITS.maxInteger || value < TWIN_LIMITS.minInteger);
    return outOfRange
      ? [
          problem(
            at,
            `the integer ${value} is outside the twin range ±4503599627370495`,
            'pass it as a string',
          ),
        ]
      : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => valueProblems(item, level, [...at, index]));
  if (!isJsonObject(value)) return [];
  if (level > TWIN_LIMITS.depth) {
    return [
      problem(
        at,
        `objects are nested ${level} deep here; twin desired properties allow at most ${TWIN_LIMITS.depth}`,
        'flatten the structure',
      ),
    ];
  }
  return Object.entries(value).flatMap(([key, child]) => [
    ...keyProblems(key, [...at, key]),
    ...valueProblems(child, level + 1, [...at, key]),
  ]);
}

/** Problems with the twin limits in every twin entry of `modulesContent`. */
export function twinLimitProblems(modulesContent: JsonObject): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const [name, twin] of Object.entries(modulesContent)) {
    if (!isJsonObject(twin)) continue;
    for (const part of desiredParts(twin, name)) {
      problems.push(...part.desiredPath.flatMap((segment) => keyProblems(segment, part.path)));
      problems.push(...valueProblems(part.value, part.desiredPath.length, part.path));
    }
    const size = bytes(JSON.stringify(desiredObject(twin, name)));
    if (size > TWIN_LIMITS.desiredBytes) {
      problems.push(
        problem(
          ['modulesContent', name],
          `the desired properties of ${name} are ${size} bytes; a twin's desired properties hold at most ${TWIN_LIMITS.desiredBytes} bytes (32 KB)`,
          name === '$edgeAgent'
            ? 'deploy fewer modules per deployment (e.g. a layered deployment), or shorten createOptions and env'
            : 'move bulky settings out of the twin (e.g. a file the module downloads)',
        ),
      );
    }
  }
  return problems;
}
