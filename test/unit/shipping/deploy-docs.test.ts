/**
 * The deploy docs' commands match what the chart really renders: every `kubectl` command in a shell
 * block or inline code of README.md, helm/README.md and helm/hookpost/README.md names a Deployment or
 * Service (`deploy/…`, `svc/…`) that the chart renders for the release the docs install, without
 * `<placeholders>`, and every Secret the docs create holds the keys the chart mounts (signing key,
 * encryption key, API tokens). The chart is rendered with helm-render/ (Go templates, as
 * helm-render.test.ts does); needs `go`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, readRepoFile } from '../../helpers/metric-names.js';
import { CHART_DIR, defaultValues, mergeValues, readYaml, type Values, valueAt } from './chart.js';
import { findTool } from '../../helpers/tools.js';

/** The README and its docs pages are checked as one text (the deploy commands are spread over several pages). */
const MAIN_DOCS = 'README.md and docs/';
const DOCS = [MAIN_DOCS, 'helm/README.md', 'helm/hookpost/README.md'];
const DOC_PAGES = ['README.md', 'docs/deploy.md', 'docs/cluster.md', 'docs/security.md', 'docs/configuration.md'];
const readDoc = (doc: string): string => (doc === MAIN_DOCS ? DOC_PAGES.map(readRepoFile).join('\n') : readRepoFile(doc));

/** The shell commands of a Markdown text: ```sh blocks (continuation lines joined) and inline `kubectl …` spans. */
function shellCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const block of markdown.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)) {
    const joined = (block[1] ?? '').replace(/\s*\\\n\s*/g, ' ');
    for (const line of joined.split('\n')) {
      const command = line.replace(/(^|\s)#.*$/, '').trim();
      if (command !== '') commands.push(command);
    }
  }
  for (const span of markdown.matchAll(/`(kubectl [^`]+)`/g)) commands.push(span[1] ?? '');
  return commands;
}

const go = findTool('go', ['version'], 'golang-go');

describe.skipIf(go.skip)('deploy docs against the rendered chart (needs go)', () => {
  let dir = '';
  let binary = '';

  beforeAll(() => {
    if (!go.installed) return;
    dir = mkdtempSync(join(tmpdir(), 'hookpost-deploy-docs-'));
    binary = join(dir, 'helm-render');
    execFileSync('go', ['build', '-o', binary, '.'], {
      cwd: join(REPO_ROOT, 'test/unit/shipping/helm-render'),
      env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on', GOPROXY: 'off' },
      stdio: 'pipe',
    });
    writeFileSync(join(dir, 'chart.json'), JSON.stringify(readYaml(`${CHART_DIR}/Chart.yaml`)));
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `kind/name` of every manifest the chart renders for `release` in `namespace` with the docs' install values. */
  function renderedNames(release: string, namespace: string): string[] {
    go.require();
    const valuesFile = join(dir, `values-${release}.json`);
    const values = mergeValues(defaultValues(), {
      secrets: { existingSecret: 'hookpost' },
      redis: { url: 'redis://redis-master:6379' },
      image: { repository: 'registry.example.com/hookpost' },
    } as Values);
    writeFileSync(valuesFile, JSON.stringify(values));
    const result = spawnSync(binary, [join(REPO_ROOT, CHART_DIR), valuesFile, join(dir, 'chart.json'), release, namespace], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
    const sections = result.stdout.split('---\n').filter((s) => !s.startsWith('# Source: hookpost/templates/NOTES.txt'));
    return parseAllDocuments(sections.join('---\n'))
      .map((d) => d.toJS() as { kind: string; metadata: { name: string } } | null)
      .filter((m) => m !== null)
      .map((m) => `${m.kind}/${m.metadata.name}`);
  }

  const KINDS: Record<string, string> = { deploy: 'Deployment', deployment: 'Deployment', deployments: 'Deployment', svc: 'Service', service: 'Service' };

  it.each(DOCS)('%s: every deploy/… and svc/… of its kubectl commands is rendered by the chart', (doc) => {
    const commands = shellCommands(readDoc(doc));
    const installs = commands.filter((c) => /^helm (upgrade --install|install) /.test(c));
    expect(installs.length, `${doc} installs the chart`).toBeGreaterThan(0);
    for (const install of installs) {
      const [, release] = /^helm (?:upgrade --install|install) (\S+)/.exec(install) ?? [];
      const namespace = /(?:-n|--namespace) (\S+)/.exec(install)?.[1] ?? 'default';
      const rendered = renderedNames(release as string, namespace);
      const kubectl = commands.filter((c) => c.startsWith('kubectl '));
      const referenced = kubectl.flatMap((c) => [...c.matchAll(/\b(deploy|deployments?|svc|service)\/([^\s"'`]+)/g)].map((m) => ({ c, kind: KINDS[m[1] as string], name: m[2] as string })));
      expect(referenced.length, `${doc} names deployments or services`).toBeGreaterThan(0);
      for (const { c, kind, name } of referenced) {
        expect(name, `a placeholder in: ${c}`).not.toMatch(/[<>]/);
        expect(rendered, `${doc}: ${c}`).toContain(`${kind}/${name}`);
      }
      for (const c of kubectl) expect(c, `${doc}: ${c}`).not.toMatch(/<[a-z-]+>/);
    }
  });

  it.each(DOCS)('%s: every Secret it creates holds the keys the chart mounts, the encryption key included', (doc) => {
    const defaults = defaultValues();
    const needed = ['secrets.signingKeyKey', 'secrets.encryptionKeyKey', 'secrets.apiTokensKey'].map((path) => valueAt(defaults, path) as string);
    expect(needed).toEqual(['signing-key.pem', 'encryption-key', 'api-tokens']);
    const creates = shellCommands(readDoc(doc)).filter((c) => /kubectl .*create secret generic hookpost(\s|$)/.test(c));
    expect(creates.length, `${doc} creates the Secret`).toBeGreaterThan(0);
    for (const c of creates) {
      const keys = [...c.matchAll(/--from-(?:file|literal)=([^=\s]+)=/g)].map((m) => m[1]);
      expect(keys.sort(), c).toEqual([...needed].sort());
    }
  });
});

describe('shellCommands', () => {
  it('joins continuation lines, drops comments, and finds inline kubectl spans', () => {
    const md = 'Run `kubectl -n x exec deploy/a -- true`.\n```sh\nkubectl create secret generic s \\\n  --from-literal=k=v   # note\n# only a comment\necho hi\n```\n';
    expect(shellCommands(md)).toEqual(['kubectl create secret generic s --from-literal=k=v', 'echo hi', 'kubectl -n x exec deploy/a -- true']);
  });
});
