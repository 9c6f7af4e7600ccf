/**
 * Reads the Helm chart (helm/hookpost) for the shipping tests. There is no helm binary here, so the
 * tests check the chart's parts statically: values against the schema, template structure, the
 * value paths and HOOKPOST_* names templates use, and the ConfigMap a set of values produces.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT, readRepoFile } from '../../helpers/metric-names.js';

export const CHART_DIR = 'helm/hookpost';

export type Values = Record<string, unknown>;

export function readYaml(path: string): unknown {
  return parseYaml(readRepoFile(path));
}

export function chartFiles(folder: string, extension: string): string[] {
  return readdirSync(join(REPO_ROOT, CHART_DIR, folder))
    .filter((name) => name.endsWith(extension))
    .sort()
    .map((name) => `${CHART_DIR}/${folder}/${name}`);
}

/** Every template of the chart, by path, with its text. */
export function templates(): Map<string, string> {
  const files = [...chartFiles('templates', '.yaml'), ...chartFiles('templates', '.tpl'), ...chartFiles('templates', '.txt')];
  return new Map(files.map((path) => [path, readRepoFile(path)]));
}

export const defaultValues = (): Values => readYaml(`${CHART_DIR}/values.yaml`) as Values;

export const valuesSchema = (): Record<string, unknown> =>
  JSON.parse(readRepoFile(`${CHART_DIR}/values.schema.json`)) as Record<string, unknown>;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Helm's merge of user values over defaults: maps merge key by key, anything else replaces; null deletes. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete merged[key];
    else merged[key] = key in base ? mergeValues(base[key], value) : value;
  }
  return merged;
}

/** The value at a dotted path such as `config.prefix`, or undefined. */
export function valueAt(values: unknown, path: string): unknown {
  let node = values;
  for (const key of path.split('.')) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Go template truthiness (Helm): false, 0, "", nil and empty collections are false. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return true;
}

/** One `{{ ... }}` action of a template, without delimiters and trim markers. */
export interface TemplateAction {
  readonly text: string;
  readonly line: number;
}

/** The actions of a Go template, comments dropped. */
export function templateActions(source: string): TemplateAction[] {
  const actions: TemplateAction[] = [];
  for (const match of source.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)) {
    const text = match[1] ?? '';
    if (text.startsWith('/*')) continue;
    const line = source.slice(0, match.index).split('\n').length;
    actions.push({ text, line });
  }
  return actions;
}

/**
 * Checks that every if/range/with/define has its end and every else sits inside if/with/range.
 * Returns a list of problems (empty when the structure is sound).
 */
export function blockProblems(source: string): string[] {
  const problems: string[] = [];
  const open: TemplateAction[] = [];
  for (const action of templateActions(source)) {
    const keyword = action.text.split(/\s+/)[0];
    if (keyword === 'if' || keyword === 'range' || keyword === 'with' || keyword === 'define' || keyword === 'block') {
      open.push(action);
    } else if (keyword === 'else') {
      const top = open.at(-1);
      if (!top || /^(define|block)\b/.test(top.text)) problems.push(`line ${action.line}: else outside if/with/range`);
    } else if (keyword === 'end') {
      if (!open.pop()) problems.push(`line ${action.line}: end without an open block`);
    }
  }
  for (const action of open) problems.push(`line ${action.line}: "${action.text}" is never closed`);
  return problems;
}

/** Names defined with `define` in the chart's templates. */
export function definedTemplateNames(all: Map<string, string>): Set<string> {
  const names = new Set<string>();
  for (const source of all.values()) {
    for (const match of source.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)) names.add(match[1] ?? '');
  }
  return names;
}

/** Names used with `include` or `template`. */
export function usedTemplateNames(source: string): string[] {
  return [...source.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)].map((m) => m[1] ?? '');
}

/** `.Values.a.b.c` paths a template reads (also through `$.Values`). */
export function valuePathsIn(source: string): string[] {
  return [...source.matchAll(/\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((m) => (m[1] ?? '').slice(1));
}

/**
 * Whether a dotted values path is declared by the schema. A path may go deeper than the schema
 * describes only below a free-form object (one without `properties`, e.g. resources.requests).
 */
export function schemaDeclares(schema: Record<string, unknown>, path: string): boolean {
  let node: Record<string, unknown> = schema;
  for (const key of path.split('.')) {
    const properties = node['properties'];
    if (!isPlainObject(properties)) return node['type'] === 'object';
    const next = properties[key];
    if (!isPlainObject(next)) return false;
    node = next;
  }
  return true;
}

/** Every `HOOKPOST_*` name in a text. */
export function hookpostVariablesIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\bHOOKPOST_[A-Z0-9_]+\b/g)].map((m) => m[0]))].sort();
}

/**
 * Renders the `data:` of templates/configmap.yaml for the given (merged) values, supporting exactly
 * the forms that template uses: `if [not] .Values.x`, `"literal"`, `{{ .Values.x | quote }}` and the
 * signing key paths. Anything else throws, so a template change that this cannot follow is noticed.
 */
export function renderConfigMapData(values: Values, all: Map<string, string>): Record<string, string> {
  const source = all.get(`${CHART_DIR}/templates/configmap.yaml`);
  if (source === undefined) throw new Error('templates/configmap.yaml is missing');
  const helpers = all.get(`${CHART_DIR}/templates/_helpers.tpl`) ?? '';
  const keyDir = /define "hookpost\.signingKeyDir" -\}\}\n([^\n{]+)\n/.exec(helpers)?.[1]?.trim();
  if (!keyDir) throw new Error('hookpost.signingKeyDir is not defined as a plain path');
  const data: Record<string, string> = {};
  const conditions: boolean[] = [];
  const body = source.slice(source.indexOf('\ndata:\n') + 7);
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const condition = /^\{\{-?\s*if\s+(not\s+)?\.Values\.([\w.]+)\s*\}\}$/.exec(line);
    if (condition) {
      conditions.push(truthy(valueAt(values, condition[2] ?? '')) !== Boolean(condition[1]));
      continue;
    }
    if (/^\{\{-?\s*end\s*\}\}$/.test(line)) {
      conditions.pop();
      continue;
    }
    const entry = /^(HOOKPOST_[A-Z0-9_]+):\s+(.+)$/.exec(line);
    if (!entry) throw new Error(`configmap.yaml: cannot follow ${JSON.stringify(line)}`);
    if (conditions.includes(false)) continue;
    const [, name = '', expression = ''] = entry;
    const quoted = /^"([^"]*)"$/.exec(expression);
    const fromValues = /^\{\{\s*\.Values\.([\w.]+)\s*\|\s*quote\s*\}\}$/.exec(expression);
    if (quoted) data[name] = quoted[1] ?? '';
    else if (fromValues) data[name] = String(valueAt(values, fromValues[1] ?? ''));
    else if (/printf "%s\/([\w.-]+)" \(include "hookpost.signingKeyDir" \.\)/.test(expression)) {
      data[name] = `${keyDir}/${/printf "%s\/([\w.-]+)"/.exec(expression)?.[1]}`;
    } else if (expression.includes('include "hookpost.signingKeyFiles"')) {
      const extra = (valueAt(values, 'secrets.additionalSigningKeyKeys') ?? []) as string[];
      data[name] = [`${keyDir}/signing-key.pem`, ...extra.map((k) => `${keyDir}/published/${k}`)].join(',');
    }
    else throw new Error(`configmap.yaml: cannot follow the value of ${name}: ${expression}`);
  }
  return data;
}
