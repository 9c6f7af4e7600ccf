/**
 * The signature schemes a delivery carries, behind one interface: each scheme names the headers it
 * owns (a webhook may not configure them) and gives its headers for one attempt. The pipeline signs
 * every attempt with each scheme in turn; a new scheme is one more entry, not a change to the pipeline.
 *
 * - RFC 9421 HTTP Message Signatures with Ed25519, covering `content-digest`, `date`,
 *   `hookpost-delivery-id` and `hookpost-project`: every delivery, with the process's signing key.
 * - Standard Webhooks (HMAC-SHA256): `webhook-id` and `webhook-timestamp` always, and
 *   `webhook-signature` when the webhook has a secret (one signature per active secret).
 */
import {
  DELIVERY_ID_COMPONENT,
  PROJECT_COMPONENT,
  type RequestTarget,
  type Signer,
  type StoredWebhookSecrets,
  activeSecrets,
  decodeSecret,
  standardWebhookHeaders,
} from '../signing/index.js';

/** What a scheme signs: one attempt's request. */
export interface SignedAttempt {
  /** The delivery id (the same on every attempt). */
  readonly deliveryId: string;
  /** The project the delivery belongs to (signed by the RFC 9421 scheme). */
  readonly project: string;
  readonly target: RequestTarget;
  /** The exact body bytes sent. */
  readonly body: Buffer;
  /** The attempt's time in whole unix seconds: fresh per attempt, so a retry hours later still verifies. */
  readonly createdSeconds: number;
  /** The webhook's Standard Webhooks secrets, if it has any (never logged). */
  readonly secret?: StoredWebhookSecrets | null;
}

export interface SignatureScheme {
  readonly name: string;
  /** The header names (lower case) the scheme sets on every attempt it signs. */
  readonly ownedHeaders: readonly string[];
  /** The scheme's headers for one attempt. Throws when it cannot sign (the attempt fails as SIGNING_FAILED). */
  headersFor(attempt: SignedAttempt): Readonly<Record<string, string>>;
}

/** A signing result (an interface of named headers) as plain header values. */
const asHeaders = (headers: object): Readonly<Record<string, string>> => headers as Readonly<Record<string, string>>;

/** The headers of the RFC 9421 scheme: the signature, its input, and the covered digest, date, delivery id and project. */
export const RFC9421_HEADERS = Object.freeze([
  'content-digest',
  'date',
  DELIVERY_ID_COMPONENT,
  PROJECT_COMPONENT,
  'signature-input',
  'signature',
] as const);

/** The headers of the Standard Webhooks scheme. */
export const STANDARD_WEBHOOKS_HEADERS = Object.freeze(['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const);

/** RFC 9421 with the process's Ed25519 key (synchronous: the thread-pool form costs more CPU, 59 vs 44 µs). */
export function rfc9421Scheme(signer: Signer): SignatureScheme {
  return {
    name: 'rfc9421-ed25519',
    ownedHeaders: RFC9421_HEADERS,
    headersFor: ({ target, body, createdSeconds, deliveryId, project }) =>
      asHeaders(signer.sign('POST', target, body, { created: createdSeconds, deliveryId, project })),
  };
}

const MAX_REMEMBERED_SECRETS = 10_000;

/** Standard Webhooks; decoded HMAC keys are kept per secret (decoding a whsec_ secret costs more than the HMAC). */
export function standardWebhooksScheme(): SignatureScheme {
  const secretKeys = new Map<string, Buffer>();
  const keysOf = (stored: StoredWebhookSecrets | null | undefined): Buffer[] => {
    if (!stored) return [];
    return activeSecrets(stored, Date.now()).map((secret) => {
      let key = secretKeys.get(secret);
      if (!key) {
        key = decodeSecret(secret);
        if (secretKeys.size >= MAX_REMEMBERED_SECRETS) secretKeys.clear();
        secretKeys.set(secret, key);
      }
      return key;
    });
  };
  return {
    name: 'standard-webhooks',
    ownedHeaders: STANDARD_WEBHOOKS_HEADERS,
    headersFor: ({ deliveryId, createdSeconds, body, secret }) =>
      asHeaders(standardWebhookHeaders({ id: deliveryId, timestampSeconds: createdSeconds, body, secrets: keysOf(secret) })),
  };
}

/** The schemes every delivery carries, in the order their headers are set. */
export function defaultSignatureSchemes(signer: Signer): readonly SignatureScheme[] {
  return Object.freeze([rfc9421Scheme(signer), standardWebhooksScheme()]);
}
