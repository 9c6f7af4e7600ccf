/**
 * The zod primitives every API surface builds its schemas from: size limits, names, events, URLs,
 * secrets, headers, labels, and the parsing that turns zod issues into `<field>: <rule>` messages.
 * Each surface's own request and response bodies live in its folder (surfaces/<vendor>/schemas.ts).
 */
import { z } from 'zod';
import { OWNED_HEADERS } from '../delivery/index.js';
import { ErrorCode, HookpostError } from '../errors.js';
import { ALL_EVENTS, OBJECT_TYPES } from '../registry/model.js';
import { SECRET_LIMITS, assertValidSecret } from '../registry/secrets.js';

/**
 * Size limits of the API (characters unless named otherwise). Where UbiOps states a limit (its
 * generated client enforces them on requests and responses) it is the same here: name 1-64,
 * description at most 400, timeout 1-30 (default 10), header key and value, object_name and
 * version at least 1. The others are hookpost's own bounds.
 */
export const LIMITS = Object.freeze({
  nameMaxChars: 64,
  urlMaxChars: 2048,
  descriptionMaxChars: 400,
  labelsMaxPairs: 32,
  labelKeyMaxChars: 64,
  labelValueMaxChars: 64,
  headersMaxEntries: 32,
  headerKeyMaxChars: 256,
  headerValueMaxChars: 4096,
  objectNameMaxChars: 128,
  versionMaxChars: 128,
  timeoutMinSeconds: 1,
  timeoutMaxSeconds: 30,
});

/**
 * Header keys hookpost sets or drops itself when sending, compared case-insensitively: a webhook
 * cannot configure them. The delivery side's own list, so the two cannot drift.
 */
export const RESERVED_HEADER_KEYS: readonly string[] = OWNED_HEADERS;

/**
 * Keys that are refused wherever an API key becomes an object property (header keys, label keys,
 * label filters): on a plain object they would set its prototype or shadow its constructor.
 */
export const FORBIDDEN_OBJECT_KEYS: readonly string[] = Object.freeze(['__proto__', 'constructor', 'prototype']);
export const forbiddenKeyRule = (what: string) => (key: string) =>
  FORBIDDEN_OBJECT_KEYS.includes(key) ? `${what} must not be "${key}"` : undefined;


const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;
/** RFC 9110 §5.6.2 token. */
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What undici (and RFC 9110 §5.5) accepts in a field value: no CR, LF, NUL or other controls. */
const FIELD_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
const CONTROL_RE = /[\x00-\x1f\x7f]/;

/** A superRefine that adds one issue with the rule's message when it returns one. */
const refuseWith =
  (rule: (value: string) => string | undefined) =>
  (value: string, ctx: z.RefinementCtx): void => {
    const message = rule(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  };

const nameRule = `must be 1-${LIMITS.nameMaxChars} characters of a-z, 0-9 and -, starting with a letter or digit`;

/**
 * The exfiltration guard's opt-out: a `url` on another origin that keeps stored protected header
 * values or the secret without re-sending them is refused unless this is true.
 */
export const keepSecretsSchema = z.boolean().optional().meta({
  description:
    'Extension: true allows moving url to another origin (scheme, host, port) while keeping the stored protected ' +
    'header values and secret without re-sending them; without it such a change is refused (400)',
});

/** A UbiOps-style name (webhooks, projects, UP42 workspaces). */
export const nameSchema = z
  .string()
  .min(1, nameRule)
  .max(LIMITS.nameMaxChars, nameRule)
  .regex(NAME_RE, nameRule);

/** The `secrets_unreadable` / `secretsUnreadable` field of a webhook in responses (both surfaces). */
export const UNREADABLE_DESCRIPTION =
  'Extension, present (true) only when this API process cannot decrypt the stored protected header values or secret ' +
  '(its encryption key file lacks their key): the webhook is listed and can be deleted, but not changed (409), and ' +
  'workers that cannot decrypt it do not send it (its deliveries become dead letters with SECRET_UNREADABLE)';

/** A UTF-16 surrogate not part of a pair: JSON's `\ud800` escapes can carry one; it is no character. */
const LONE_SURROGATE_RE = /\p{Cs}/u;

/** A non-empty string of at most `maxChars` characters without control characters or lone surrogates. */
export const text = (maxChars: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(maxChars, `must be at most ${maxChars} characters`)
    .refine((v) => !CONTROL_RE.test(v), 'must not contain control characters')
    .refine((v) => !LONE_SURROGATE_RE.test(v), 'must be valid Unicode (a lone surrogate such as \\ud800 is not a character)');

export const oneOf = (values: readonly string[]) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'required' : `must be one of ${values.join(', ')}`;
export const objectTypeSchema = z.enum(OBJECT_TYPES, { error: oneOf(OBJECT_TYPES) });
/** One event of the catalog, by name. */
export const eventSchema = z.enum(ALL_EVENTS, { error: oneOf(ALL_EVENTS) });

/** A list of events, at least one; duplicates are accepted and dropped by the registry. */
export const eventListSchema = z
  .array(eventSchema)
  .min(1, 'must have at least one event')
  .max(ALL_EVENTS.length * 4, `must have at most ${ALL_EVENTS.length * 4} entries`);

/**
 * A write-only webhook secret (Standard Webhooks): 1-256 characters, `whsec_<base64>` or
 * any other string. null (or absent) means no secret on create, "keep it" on update.
 */
const secretRule = `must be ${SECRET_LIMITS.minChars}-${SECRET_LIMITS.maxChars} characters`;
export const secretSchema = z
  .string()
  .min(SECRET_LIMITS.minChars, secretRule)
  .max(SECRET_LIMITS.maxChars, secretRule)
  .superRefine((secret, ctx) => {
    if (secret.length < SECRET_LIMITS.minChars || secret.length > SECRET_LIMITS.maxChars) return;
    try {
      assertValidSecret(secret);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^secret: /, '') });
    }
  })
  .nullable()
  .meta({
    description:
      `Write-only, ${SECRET_LIMITS.minChars}-${SECRET_LIMITS.maxChars} characters: "whsec_<base64>" (the decoded bytes are the key) or any ` +
      'other string (its UTF-8 bytes). Signs deliveries with webhook-signature (Standard Webhooks). Responses show null. ' +
      'On update, null or absent keeps the stored secret; a new one replaces it and the old one keeps signing for 24 h.',
  });
export const timeoutSchema = z
  .number()
  .int('must be an integer number of seconds')
  .min(LIMITS.timeoutMinSeconds, `must be from ${LIMITS.timeoutMinSeconds} to ${LIMITS.timeoutMaxSeconds}`)
  .max(LIMITS.timeoutMaxSeconds, `must be from ${LIMITS.timeoutMinSeconds} to ${LIMITS.timeoutMaxSeconds}`);

export const labelsSchema = z
  .record(
    z
      .string()
      .min(1, 'label keys must not be empty')
      .max(LIMITS.labelKeyMaxChars, `label keys must be at most ${LIMITS.labelKeyMaxChars} characters`)
      .regex(/^[^:,]+$/, 'label keys must not contain ":" or ","')
      .refine((v) => !CONTROL_RE.test(v), 'label keys must not contain control characters')
      .superRefine(refuseWith(forbiddenKeyRule('label keys'))),
    z
      .string()
      .max(LIMITS.labelValueMaxChars, `must be at most ${LIMITS.labelValueMaxChars} characters`)
      .regex(/^[^,]*$/, 'must not contain ","')
      .refine((v) => !CONTROL_RE.test(v), 'must not contain control characters'),
  )
  .refine((v) => Object.keys(v).length <= LIMITS.labelsMaxPairs, `must have at most ${LIMITS.labelsMaxPairs} pairs`);

const headerKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(LIMITS.headerKeyMaxChars, `must be at most ${LIMITS.headerKeyMaxChars} characters`)
  .regex(TOKEN_RE, 'must be a valid HTTP field name (RFC 9110 token)')
  .superRefine(
    refuseWith((k) =>
      RESERVED_HEADER_KEYS.includes(k.toLowerCase())
        ? `is set by hookpost and cannot be configured ("${k}")`
        : forbiddenKeyRule('header keys')(k.toLowerCase()),
    ),
  );

const headerValueSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(LIMITS.headerValueMaxChars, `must be at most ${LIMITS.headerValueMaxChars} characters`)
  .regex(FIELD_VALUE_RE, 'must not contain CR, LF, NUL or other control characters, nor characters above U+00FF');

const headerListRules = <T extends { key: string }>(headers: readonly T[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  headers.forEach((h, i) => {
    const lower = h.key.toLowerCase();
    if (seen.has(lower)) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: 'duplicate header key' });
    seen.add(lower);
  });
};

export const headersSchema = z
  .array(z.strictObject({ key: headerKeySchema, value: headerValueSchema, protected: z.boolean().default(false) }))
  .max(LIMITS.headersMaxEntries, `must have at most ${LIMITS.headersMaxEntries} entries`)
  .superRefine(headerListRules);

/**
 * On update, `value` null or absent with `protected: true` keeps the stored protected value:
 * generated clients drop null fields, so they send `{"key": "Authorization", "protected": true}`.
 */
export const headersPatchSchema = z
  .array(
    z.strictObject({
      key: headerKeySchema,
      value: headerValueSchema
        .nullish()
        .meta({ description: 'null or absent with protected: true keeps the stored value of that protected header' }),
      protected: z.boolean().default(false),
    }),
  )
  .max(LIMITS.headersMaxEntries, `must have at most ${LIMITS.headersMaxEntries} entries`)
  .superRefine(headerListRules);

/** Reason why `raw` is not an acceptable webhook URL, or undefined when it is. */
export function checkWebhookUrl(raw: string, allowHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an absolute http(s) URL';
  if (url.protocol === 'http:' && !allowHttp) return 'must use https (http is not allowed by this server)';
  if (url.hostname === '') return 'must name a host';
  // GET returns the URL: credentials in it would leak. Protected headers are the place for them.
  if (url.username !== '' || url.password !== '') return 'must not contain credentials; use a protected header';
  if (raw.includes('#')) return 'must not contain a fragment';
  return undefined;
}

/** A webhook URL (`checkWebhookUrl`). */
export const urlSchema = (allowHttp: boolean) =>
  z
    .string()
    .max(LIMITS.urlMaxChars, `must be at most ${LIMITS.urlMaxChars} characters`)
    .superRefine((raw, ctx) => {
      const reason = checkWebhookUrl(raw, allowHttp);
      if (reason !== undefined) ctx.addIssue({ code: 'custom', message: reason });
    })
    .meta({ format: 'uri' });

export const descriptionSchema = z
  .string()
  .max(LIMITS.descriptionMaxChars, `must be at most ${LIMITS.descriptionMaxChars} characters`);

/** True when `name` can be a webhook name of the name rule; any other name is simply not found. */
export const isWebhookName = (name: string): boolean => nameSchema.safeParse(name).success;

/** One event of the catalog (`GET /v2.1/webhooks/events`, `GET /webhooks/events`). */
export const catalogEventSchema = z.object({
  name: z.enum(ALL_EVENTS),
  object_type: z.enum(OBJECT_TYPES),
  description: z.string().meta({ description: 'one line' }),
});

/** The error body of routes outside a surface, and of the UbiOps surface: `{"error": "..."}`. */
export const errorBodySchema = z.object({ error: z.string().meta({ description: '"<field>: <rule>" for invalid input' }) });


const pathOf = (path: readonly PropertyKey[]): string => {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
};

/** Formats zod issues as `<field>: <rule>` joined by `; ` (the field `body` for the whole body). */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts: string[] = [];
  for (const issue of issues) {
    const at = pathOf(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) parts.push(`${at === '' ? '' : `${at}.`}${key}: unknown field`);
    } else if (issue.code === 'invalid_key') {
      parts.push(`${at}: ${issue.issues[0]?.message ?? issue.message}`);
    } else {
      parts.push(`${at === '' ? 'body' : at}: ${issue.message}`);
    }
  }
  return parts.join('; ');
}

const describeType = (input: unknown): string =>
  input === null ? 'null' : Array.isArray(input) ? 'an array' : `a ${typeof input}`;

/** Messages for issues the schemas do not name themselves. */
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'required';
    return `must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}, got ${describeType(issue.input)}`;
  }
  return undefined;
};

/** Parses `input` with `schema`, or throws HookpostError(VALIDATION) with a `<field>: <rule>` message. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input, { error: errorMap });
  if (!result.success) throw new HookpostError(ErrorCode.VALIDATION, formatIssues(result.error.issues));
  return result.data;
}
