/**
 * The RFC 9421 signature base (§2.5) and the `@signature-params` value (§2.3) as hookpost signs them.
 * Pure and runtime-neutral: shared by the signer and the receiver-side verifier.
 */
import { serializeString } from './structured-fields.js';

/**
 * The components every signature must cover (docs/signing.md), in signing order: what the documented Python
 * receiver checks, and all that releases before the delivery id and project were signed covered.
 */
export const REQUIRED_COMPONENTS = ['@method', '@authority', '@target-uri', 'content-digest', 'date'] as const;

/** The component (a header) carrying the delivery id receivers de-duplicate on. */
export const DELIVERY_ID_COMPONENT = 'hookpost-delivery-id';

/** The component (a header) carrying the project the delivery belongs to. */
export const PROJECT_COMPONENT = 'hookpost-project';

/**
 * The components a hookpost delivery covers, in signing order: {@link REQUIRED_COMPONENTS}, then the
 * delivery id and the project, so a replay cannot change the id receivers de-duplicate on, and a
 * delivery made for one project cannot pass as another's.
 */
export const COVERED_COMPONENTS = [...REQUIRED_COMPONENTS, DELIVERY_ID_COMPONENT, PROJECT_COMPONENT] as const;

/** The only signature algorithm hookpost uses (RFC 9421 §3.3.6). */
export const SIGNATURE_ALGORITHM = 'ed25519';

/** Signature parameters (RFC 9421 §2.3), serialized in this order: created, keyid, alg, expires, nonce. */
export interface SignatureParams {
  /** Creation time, unix seconds. */
  readonly created: number;
  /** Key identifier, `sha512:<hex>` for hookpost keys. */
  readonly keyid: string;
  /** Algorithm name; hookpost always writes `ed25519`. Omitted when undefined. */
  readonly alg?: string | undefined;
  /** Expiry time, unix seconds. Omitted when undefined. */
  readonly expires?: number | undefined;
  /** A nonce (printable ASCII). Omitted when undefined. */
  readonly nonce?: string | undefined;
}

/**
 * Serializes the covered components and parameters as the canonical RFC 8941 inner list used for
 * both the Signature-Input member value and the `@signature-params` line, e.g.
 * `("@method" "@authority" "@target-uri" "content-digest" "date");created=1767225600;keyid="sha512:…";alg="ed25519"`.
 * @throws StructuredFieldError when a name, keyid or nonce is not printable ASCII, or a time is not an integer
 */
export function serializeSignatureParams(components: readonly string[], params: SignatureParams): string {
  let out = '(';
  for (let i = 0; i < components.length; i++) {
    if (i > 0) out += ' ';
    out += serializeString(components[i]!);
  }
  out += `);created=${integer(params.created, 'created')};keyid=${serializeString(params.keyid)}`;
  if (params.alg !== undefined) out += `;alg=${serializeString(params.alg)}`;
  if (params.expires !== undefined) out += `;expires=${integer(params.expires, 'expires')}`;
  if (params.nonce !== undefined) out += `;nonce=${serializeString(params.nonce)}`;
  return out;
}

/**
 * Builds the signature base (RFC 9421 §2.5): one `"<name>": <value>` line per covered component,
 * joined by LF, then `"@signature-params": <signatureParams>`, with no trailing newline.
 * Component values must already be canonical (trimmed; no CR or LF).
 * @param components - `[name, value]` pairs in the order they are listed in the signature parameters
 * @param signatureParams - the serialized inner list from {@link serializeSignatureParams}
 */
export function buildSignatureBase(
  components: ReadonlyArray<readonly [name: string, value: string]>,
  signatureParams: string,
): string {
  let base = '';
  for (const [name, value] of components) base += `${serializeString(name)}: ${value}\n`;
  return `${base}"@signature-params": ${signatureParams}`;
}

/** Formats unix seconds as an IMF-fixdate (RFC 9110 §5.6.7), e.g. `Thu, 01 Jan 2026 00:00:00 GMT`. */
export function formatHttpDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toUTCString();
}

function integer(value: number, name: string): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer number of seconds`);
  return String(value);
}
