/**
 * The registry change notice: published on `keys.registryChannel()` by the same Lua script that
 * changes the registry, so a worker that caches webhooks per object knows what to drop.
 * Wire form: `{"version":<n>,"objects":[{"project":"...","object_type":"...","object_name":"..."}]}`,
 * plus `"projects":["..."]` when project-wide webhooks of those projects changed (absent otherwise,
 * so notices about object-scoped webhooks read exactly as before).
 */

/** One object (deployment or pipeline) whose webhooks changed. */
export interface RegistryObject {
  readonly project: string;
  readonly object_type: string;
  readonly object_name: string;
}

export interface RegistryNotice {
  /** Value of the registry version counter after the change (increases by one per change). */
  readonly version: number;
  /** Every object whose webhooks changed: old and new object when a webhook moved. */
  readonly objects: readonly RegistryObject[];
  /** Projects whose project-wide webhooks changed; absent when none did. */
  readonly projects?: readonly string[];
}

/** Serializes the objects of a notice, without duplicates; the script adds the version. */
export function encodeNoticeObjects(objects: readonly RegistryObject[]): string {
  const seen = new Set<string>();
  const unique: RegistryObject[] = [];
  for (const o of objects) {
    const id = JSON.stringify([o.project, o.object_type, o.object_name]);
    if (seen.has(id)) continue;
    seen.add(id);
    unique.push({ project: o.project, object_type: o.object_type, object_name: o.object_name });
  }
  return JSON.stringify(unique);
}

/**
 * The `,"projects":[...]` part of a notice (without duplicates), or `''` when no project-wide
 * webhook changed; the script appends it after the objects.
 */
export function encodeNoticeProjects(projects: readonly string[]): string {
  return projects.length === 0 ? '' : `,"projects":${JSON.stringify([...new Set(projects)])}`;
}

const isString = (value: unknown): value is string => typeof value === 'string';

/**
 * Parses a message received on the registry channel. Returns null for anything that is not a
 * well-formed notice (the consumer should then drop its whole cache: it cannot tell what changed).
 */
export function parseRegistryNotice(message: string): RegistryNotice | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { version, objects, projects } = parsed as { version?: unknown; objects?: unknown; projects?: unknown };
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || !Array.isArray(objects)) return null;
  if (projects !== undefined && !(Array.isArray(projects) && projects.every(isString))) return null;
  const result: RegistryObject[] = [];
  for (const o of objects as unknown[]) {
    if (typeof o !== 'object' || o === null) return null;
    const { project, object_type, object_name } = o as Record<string, unknown>;
    if (!isString(project) || !isString(object_type) || !isString(object_name)) return null;
    result.push({ project, object_type, object_name });
  }
  return projects === undefined ? { version, objects: result } : { version, objects: result, projects };
}
