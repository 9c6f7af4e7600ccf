/**
 * docs/errors.md is the reference of every attempt code, every delivery outcome and every
 * HOOKPOST_ERR_* code. These tests pin it to the tables in src/outcomes.ts and src/errors.ts: a code
 * added, removed or changed in either place without the page fails here, with the rows to paste.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import {
  ATTEMPT_CODES,
  type AttemptCodeInfo,
  AttemptCode,
  DELIVERY_OUTCOMES,
  HTTP_ATTEMPT_CODE,
  attemptCodeInfo,
  isAttemptCode,
  readAttemptCode,
} from '../../src/outcomes.js';
import { REPO_ROOT } from '../helpers/metric-names.js';

const page = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');

/** The rows of the page's table whose header row starts with `| <first> |`, as cells. */
function tableAfterHeader(first: string): string[][] {
  const lines = page.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  expect(start, `a table starting with "| ${first} |" in docs/errors.md`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');
const row = (code: string, info: AttemptCodeInfo) => `| \`${code}\` | ${yesNo(info.final)} | ${yesNo(info.sent)} | ${info.message} |`;

describe('docs/errors.md', () => {
  it('lists every attempt code, with its final and sent flags and its message, in the table order', () => {
    const expected = [
      '| code | final | sent | message |',
      '|---|---|---|---|',
      row('HTTP_<status>', HTTP_ATTEMPT_CODE),
      ...Object.entries(ATTEMPT_CODES).map(([code, info]) => row(code, info)),
    ].join('\n');
    expect(page, `docs/errors.md should hold this table exactly:\n${expected}\n`).toContain(expected);
  });

  it('lists every delivery outcome', () => {
    const listed = tableAfterHeader('outcome').map((cells) => cells[0]);
    expect(listed).toEqual(DELIVERY_OUTCOMES.map((o) => `\`${o}\``));
  });

  it('lists every HOOKPOST_ERR_* code, each once', () => {
    const listed = tableAfterHeader('error code').map((cells) => cells[0]);
    expect([...listed].sort()).toEqual(
      Object.values(ErrorCode)
        .map((c) => `\`${c}\``)
        .sort(),
    );
    for (const cells of tableAfterHeader('error code')) expect(cells[1], cells[0]).not.toBe('');
  });
});

describe('attempt codes', () => {
  it('are a closed set: HTTP_<status> and the named codes, nothing else', () => {
    expect(isAttemptCode('HTTP_503')).toBe(true);
    expect(isAttemptCode(AttemptCode.CIRCUIT_OPEN)).toBe(true);
    expect(isAttemptCode('HTTP_STATUS')).toBe(false);
    expect(isAttemptCode('EPROTO')).toBe(false);
    expect(isAttemptCode('toString')).toBe(false);
    expect(attemptCodeInfo('HTTP_500')).toEqual(HTTP_ATTEMPT_CODE);
    expect(attemptCodeInfo(AttemptCode.DESTINATION_REFUSED)).toMatchObject({ final: true, sent: false });
  });

  it('read stored old spellings in today\'s vocabulary', () => {
    expect(readAttemptCode('REFUSED_DESTINATION')).toBe(AttemptCode.DESTINATION_REFUSED);
    expect(readAttemptCode('EPROTO')).toBe(AttemptCode.NETWORK);
    expect(readAttemptCode('HTTP_418')).toBe('HTTP_418');
    expect(readAttemptCode('TIMEOUT')).toBe(AttemptCode.TIMEOUT);
  });
});
