/**
 * External tools some shipping tests run: `go` (the chart renderer in helm-render/) and `promtool`.
 * Outside CI a missing tool skips those tests with a note saying why; with CI=true a missing tool
 * fails them instead, so CI can never pass by skipping (.ci/run installs both).
 */
import { spawnSync } from 'node:child_process';

export interface Tool {
  readonly command: string;
  readonly installed: boolean;
  /** Skip the tests that need it: missing, and not in CI. */
  readonly skip: boolean;
  /** Throws (with the package to install) when the tool is missing; call it first in those tests. */
  require(): void;
}

export interface FindToolOptions {
  /** Where CI is read from; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the skip note goes; default stderr. */
  readonly note?: (message: string) => void;
}

/** Looks `command` up by running it with `versionArgs`; `debianPackage` is named in the messages. */
export function findTool(command: string, versionArgs: readonly string[], debianPackage: string, options: FindToolOptions = {}): Tool {
  const { env = process.env, note = (message: string) => process.stderr.write(`${message}\n`) } = options;
  const installed = spawnSync(command, versionArgs, { stdio: 'ignore' }).status === 0;
  const inCi = env['CI'] === 'true';
  const missing = `${command} is not installed (Debian package ${debianPackage}; .ci/run installs it)`;
  if (!installed && !inCi) note(`skipping the tests that need ${command}: ${missing}`);
  return {
    command,
    installed,
    skip: !installed && !inCi,
    require() {
      if (!installed) throw new Error(`${missing}; with CI=true these tests fail rather than skip`);
    },
  };
}
