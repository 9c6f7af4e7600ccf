/**
 * The Redis URL forms hookpost accepts (HOOKPOST_REDIS_URL, or the producer's `redis` option):
 *
 * - `redis://[user:password@]host:port[/db]`, `rediss://...` (TLS): one Redis, as ioredis reads it.
 * - `redis+cluster://[user:password@]host1:port1,host2:port2[,...]`, `rediss+cluster://...` (TLS):
 *   a Redis Cluster; the hosts are seeds, the rest of the cluster is discovered. No `/db` (a cluster
 *   has only database 0).
 * - `redis+sentinel://[user:password@]host1:26379,host2:26379[,...]/<master name>[?db=N]`,
 *   `rediss+sentinel://...` (TLS to the sentinels and the data nodes): a Sentinel set; the credentials
 *   are the data nodes'. Sentinels with a password of their own: `?sentinelPassword=...` (and
 *   `sentinelUsername=...`).
 *
 * User names and passwords are percent-encoded (`p%40ss` for `p@ss`). A password is never shown:
 * {@link maskRedisUrl} is what logs and errors print.
 */

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

interface TargetBase {
  readonly tls: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
}

export type RedisTarget =
  | (TargetBase & { readonly kind: 'standalone'; readonly url: string })
  | (TargetBase & { readonly kind: 'cluster'; readonly nodes: readonly RedisNode[] })
  | (TargetBase & {
      readonly kind: 'sentinel';
      readonly sentinels: readonly RedisNode[];
      readonly masterName: string;
      readonly db: number;
      readonly sentinelUsername: string | undefined;
      readonly sentinelPassword: string | undefined;
    });

export type RedisTopology = RedisTarget['kind'];

const FORM = /^(rediss?)(\+cluster|\+sentinel)?:\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/i;
const SENTINEL_PARAMS = new Set(['db', 'sentinelUsername', 'sentinelPassword']);
const SECRET_PARAMS = /password/i;

/** Thrown by {@link parseRedisUrl}; the message never contains the password. */
export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
}

const decode = (text: string | undefined, what: string): string | undefined => {
  if (text === undefined || text === '') return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RedisUrlError(`the ${what} is not valid percent-encoding`);
  }
};

function parseNodes(list: string, defaultPort: number): RedisNode[] {
  const nodes = list.split(',').map((entry) => {
    const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/i.exec(entry.trim());
    const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
    if (!match || port < 1 || port > 65535) throw new RedisUrlError(`"${entry}" is not host:port`);
    return { host: (match[1] ?? match[2]) as string, port };
  });
  if (nodes.length === 0 || list.trim() === '') throw new RedisUrlError('no host given');
  return nodes;
}

/**
 * Parses one of the URL forms above. Throws {@link RedisUrlError} saying what is wrong (without the
 * password).
 */
export function parseRedisUrl(url: string): RedisTarget {
  const match = FORM.exec(url.trim());
  if (!match) {
    throw new RedisUrlError(
      'expected a redis:// or rediss:// URL, redis+cluster://host1:port1,host2:port2 or redis+sentinel://host1:26379,host2:26379/<master name> (rediss+cluster, rediss+sentinel with TLS)',
    );
  }
  const [, scheme = '', variant = '', userinfo, hosts = '', path = '', query = ''] = match;
  const tls = scheme.toLowerCase() === 'rediss';
  const colon = userinfo?.indexOf(':') ?? -1;
  const username = decode(colon >= 0 ? userinfo?.slice(0, colon) : userinfo, 'user name');
  const password = decode(colon >= 0 ? userinfo?.slice(colon + 1) : undefined, 'password');
  const params = new URLSearchParams(query);
  const kind = variant.toLowerCase();

  if (kind === '') {
    if (hosts.includes(',')) throw new RedisUrlError('several hosts need redis+cluster:// or redis+sentinel://');
    try {
      new URL(url);
    } catch {
      throw new RedisUrlError('not a valid URL');
    }
    return { kind: 'standalone', url, tls, username, password };
  }
  if (kind === '+cluster') {
    if (path !== '' && path !== '/') throw new RedisUrlError('a cluster URL takes no /db or path (a cluster has database 0 only)');
    if ([...params.keys()].length > 0) throw new RedisUrlError(`unknown parameter ${[...params.keys()].join(', ')} in a cluster URL`);
    return { kind: 'cluster', nodes: parseNodes(hosts, 6379), tls, username, password };
  }
  const masterName = decode(path.replace(/^\//, ''), 'master name');
  if (masterName === undefined || masterName.includes('/')) {
    throw new RedisUrlError('a sentinel URL ends with /<master name>, e.g. redis+sentinel://h1:26379,h2:26379/mymaster');
  }
  const unknown = [...params.keys()].filter((k) => !SENTINEL_PARAMS.has(k));
  if (unknown.length > 0) throw new RedisUrlError(`unknown parameter ${unknown.join(', ')} (known: ${[...SENTINEL_PARAMS].join(', ')})`);
  const dbText = params.get('db') ?? '0';
  if (!/^\d{1,2}$/.test(dbText)) throw new RedisUrlError(`db must be a database number, got "${dbText}"`);
  return {
    kind: 'sentinel',
    sentinels: parseNodes(hosts, 26379),
    masterName,
    db: Number(dbText),
    tls,
    username,
    password,
    sentinelUsername: params.get('sentinelUsername') ?? undefined,
    sentinelPassword: params.get('sentinelPassword') ?? undefined,
  };
}

/**
 * The URL with every password replaced by `***` (`redis://:***@host:port`,
 * `redis+sentinel://user:***@h1:26379,h2:26379/mymaster?sentinelPassword=***`), for banners,
 * messages and logs. Text that is not a Redis URL is returned as `<redis url>`.
 */
export function maskRedisUrl(url: string): string {
  const match = FORM.exec(url.trim());
  if (!match) return '<redis url>';
  const [, scheme = '', variant = '', userinfo, hosts = '', path = '', query = ''] = match;
  let shownUser = '';
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    shownUser = colon >= 0 ? `${userinfo.slice(0, colon)}:***@` : `${userinfo}@`;
  }
  let shownQuery = '';
  if (query !== '') {
    const params = new URLSearchParams(query);
    for (const name of [...params.keys()]) if (SECRET_PARAMS.test(name)) params.set(name, '***');
    shownQuery = `?${params.toString().replaceAll('%2A', '*')}`;
  }
  const shownPath = path === '/' ? '' : path;
  return `${scheme}${variant}://${shownUser}${hosts}${shownPath}${shownQuery}`;
}

/** The hash tag Redis Cluster hashes a key by: the text between the first `{` and the next `}`, if not empty. */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}
