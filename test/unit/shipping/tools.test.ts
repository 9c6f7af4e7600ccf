import { describe, expect, it } from 'vitest';
import { findTool } from '../../helpers/tools.js';

describe('findTool (tests that need go or promtool)', () => {
  const absent = 'hookpost-no-such-tool';

  it('skips a missing tool outside CI, saying why', () => {
    const notes: string[] = [];
    const tool = findTool(absent, ['--version'], 'golang-go', { env: {}, note: (m) => notes.push(m) });
    expect(tool).toMatchObject({ installed: false, skip: true });
    expect(notes).toEqual([`skipping the tests that need ${absent}: ${absent} is not installed (Debian package golang-go; .ci/run installs it)`]);
  });

  it('runs, and fails, the tests of a missing tool when CI=true', () => {
    const notes: string[] = [];
    const tool = findTool(absent, ['--version'], 'golang-go', { env: { CI: 'true' }, note: (m) => notes.push(m) });
    expect(tool.skip).toBe(false);
    expect(notes).toEqual([]);
    expect(() => tool.require()).toThrow(`${absent} is not installed (Debian package golang-go; .ci/run installs it); with CI=true these tests fail rather than skip`);
  });

  it('finds a tool that runs', () => {
    const tool = findTool(process.execPath, ['--version'], 'nodejs', { env: { CI: 'true' } });
    expect(tool).toMatchObject({ installed: true, skip: false });
    expect(() => tool.require()).not.toThrow();
  });
});
