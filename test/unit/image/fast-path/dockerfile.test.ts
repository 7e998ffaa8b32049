// The Dockerfile reader of the fast path: which COPY carries the model, where it puts it, and every
// reason the appended layer would not reproduce the full build.
import { describe, expect, test } from '@jest/globals';
import { findModelCopy, parseDockerfile, shellWords } from '../../../../src/image/fast-path/dockerfile.js';

const lines = (...text: string[]) => text.join('\n');

describe('parseDockerfile', () => {
  test('joins continuations, drops comments inside them, skips heredoc bodies', () => {
    const parsed = parseDockerfile(
      lines(
        '# syntax=docker/dockerfile:1',
        'FROM base AS build',
        'RUN apt-get update && \\',
        '# a comment inside',
        '',
        '    apt-get install -y x',
        'COPY <<EOF /app/config',
        'COPY model/ /not/an/instruction',
        'EOF',
        'COPY ["a b", "/dst/"]',
      ),
    );
    expect(parsed.map((i) => [i.keyword, i.line])).toEqual([
      ['FROM', 2],
      ['RUN', 3],
      ['COPY', 7],
      ['COPY', 10],
    ]);
    expect(parsed[1]!.args.join(' ')).toBe('apt-get update && apt-get install -y x');
    expect(parsed[2]!.heredoc).toBe(true);
    expect(parsed[3]!.args).toEqual(['a b', '/dst/']);
  });

  test('the escape directive switches the continuation character', () => {
    const parsed = parseDockerfile(lines('# escape=`', 'FROM x', 'COPY model `', '  C:/app/model'));
    expect(parsed[1]).toMatchObject({ keyword: 'COPY', args: ['model', 'C:/app/model'] });
  });

  test('flags are split from the arguments', () => {
    const [copy] = parseDockerfile('COPY --chown=1000:1000 --link a /b');
    expect(copy).toMatchObject({
      flags: [
        ['chown', '1000:1000'],
        ['link', ''],
      ],
      args: ['a', '/b'],
    });
  });

  test('shell words: quotes group and are removed', () => {
    expect(shellWords(`"my model" 'x y' z\\ w`)).toEqual(['my model', 'x y', 'z w']);
  });
});

describe('findModelCopy', () => {
  const ok: Array<[string, string, string, 'file' | 'folder', string]> = [
    [
      'folder, absolute destination',
      lines('FROM b', 'RUN x', 'COPY model/ /app/model/', 'CMD ["run"]'),
      'model',
      'folder',
      '/app/model',
    ],
    [
      'model path written ./model',
      lines('FROM b', 'COPY ./model /app/model'),
      'model/',
      'folder',
      '/app/model',
    ],
    ['JSON form', lines('FROM b', 'COPY ["model", "/srv/m"]'), 'model', 'folder', '/srv/m'],
    [
      'relative destination after WORKDIR',
      lines('FROM b', 'WORKDIR /app', 'WORKDIR www', 'COPY model/ model/'),
      'model',
      'folder',
      '/app/www/model',
    ],
    [
      'file into a folder (trailing /)',
      lines('FROM b', 'WORKDIR /app', 'COPY models/net.onnx ./'),
      'models/net.onnx',
      'file',
      '/app/net.onnx',
    ],
    ['file renamed', lines('FROM b', 'COPY net.onnx /app/model.onnx'), 'net.onnx', 'file', '/app/model.onnx'],
    ['scratch starts at /', lines('FROM scratch', 'COPY model m'), 'model', 'folder', '/m'],
    [
      'WORKDIR inherited from an earlier stage',
      lines('FROM b AS base', 'WORKDIR /opt', 'FROM base', 'COPY model m/'),
      'model',
      'folder',
      '/opt/m',
    ],
    [
      'metadata after the COPY is fine',
      lines('FROM b', 'COPY model /m', 'ENV A=1', 'USER app', 'WORKDIR /x', 'EXPOSE 80', 'CMD x'),
      'model',
      'folder',
      '/m',
    ],
    [
      'multi-stage: build stage copies other things',
      lines(
        'FROM b AS build',
        'COPY src/ /src',
        'RUN make',
        'FROM b',
        'COPY --from=build /out /app',
        'COPY model /app/model',
      ),
      'model',
      'folder',
      '/app/model',
    ],
  ];
  test.each(ok)('%s', (_name, dockerfile, model, kind, destination) => {
    expect(findModelCopy(dockerfile, model, kind)).toMatchObject({ ok: true, destination });
  });

  const refused: Array<[string, string, string, RegExp, number | undefined]> = [
    [
      'RUN after the model COPY',
      lines('FROM b', 'COPY model /m', 'ENV A=1', 'RUN chmod -R 755 /m'),
      'model',
      /^RUN after the model COPY at line 4$/,
      4,
    ],
    [
      'COPY after it',
      lines('FROM b', 'COPY model /m', 'COPY app.py /app/'),
      'model',
      /^COPY after the model COPY at line 3$/,
      3,
    ],
    ['ADD used for it', lines('FROM b', 'ADD model /m'), 'model', /added with ADD at line 2/, 2],
    ['--chown', lines('FROM b', 'COPY --chown=app model /m'), 'model', /has --chown/, 2],
    ['--chmod', lines('FROM b', 'COPY --chmod=0755 model /m'), 'model', /has --chmod/, 2],
    ['--link', lines('FROM b', 'COPY --link model /m'), 'model', /has --link/, 2],
    [
      'a variable in the destination',
      lines('FROM b', 'ARG DIR=/m', 'COPY model ${DIR}'),
      'model',
      /uses a variable/,
      3,
    ],
    [
      'a variable in a source',
      lines('FROM b', 'COPY ${WHAT} /x', 'COPY model /m'),
      'model',
      /with a variable/,
      2,
    ],
    [
      'copied with other files',
      lines('FROM b', 'COPY model app.py /app/'),
      'model',
      /copies other files with the model/,
      2,
    ],
    ['copied by COPY .', lines('FROM b', 'COPY . /app'), 'model', /together with other files \('\.'\)/, 2],
    [
      'copied by its parent folder',
      lines('FROM b', 'COPY assets /a', 'COPY assets/model /m'),
      'assets/model',
      /together with other files/,
      2,
    ],
    [
      'copied by a wildcard',
      lines('FROM b', 'COPY mod* /a/'),
      'model',
      /together with other files \('mod\*'\)/,
      2,
    ],
    [
      'part of it copied alone',
      lines('FROM b', 'COPY model/labels.txt /l', 'COPY model /m'),
      'model',
      /copies part of the model/,
      2,
    ],
    ['copied twice', lines('FROM b', 'COPY model /m', 'COPY model /n'), 'model', /copied twice/, 3],
    [
      'copied in a non-final stage',
      lines('FROM b AS build', 'COPY model /m', 'FROM b', 'COPY --from=build /m /m'),
      'model',
      /build stage 'build' \(line 2\), not in the final stage/,
      2,
    ],
    ['not copied at all', lines('FROM b', 'COPY app /app'), 'model', /does not copy model/, undefined],
    [
      'relative destination, base WORKDIR unknown',
      lines('FROM python:3', 'COPY model m/'),
      'model',
      /relative to a WORKDIR/,
      2,
    ],
    ['no FROM', 'COPY model /m', 'model', /no FROM/, undefined],
    [
      'model path is the context',
      lines('FROM b', 'COPY . /app'),
      '.',
      /not a path inside the context/,
      undefined,
    ],
    [
      'model path outside the context',
      lines('FROM b'),
      '../model',
      /not a path inside the context/,
      undefined,
    ],
  ];
  test.each(refused)('refused: %s', (_name, dockerfile, model, reason, line) => {
    const copy = findModelCopy(dockerfile, model);
    expect(copy.ok).toBe(false);
    if (copy.ok) return;
    expect(copy.reason).toMatch(reason);
    expect(copy.line).toBe(line);
  });

  test('only the destination is missing: model-image-path can give it', () => {
    expect(findModelCopy(lines('FROM b', 'COPY model ${DIR}'), 'model')).toMatchObject({
      ok: false,
      destinationOnly: true,
    });
    expect(findModelCopy(lines('FROM b', 'COPY model /m', 'RUN x'), 'model')).not.toHaveProperty(
      'destinationOnly',
    );
  });

  test('the fixture project copies its model last', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { REPO_ROOT } = await import('../../../support/paths.js');
    const text = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'model-project', 'Dockerfile'), 'utf8');
    expect(findModelCopy(text, 'model')).toMatchObject({ ok: true, destination: '/app/www/model' });
  });
});
