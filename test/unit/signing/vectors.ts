import { readFileSync } from 'node:fs';

/** One case of test/fixtures/signature-vectors.json (the fields the tests use). */
export interface SignatureVector {
  id: string;
  expected: 'verified' | 'rejected';
  method: string;
  url: string;
  target_uri: string;
  authority: string;
  request_line: string;
  covered_components: string[];
  created: number;
  headers: Record<string, string>;
  body: string;
  body_base64: string;
  signature_base: string;
  signature_input: string;
  signature: string;
}

interface VectorKey {
  private_key_pem: string;
  public_key_pem: string;
  public_key_raw_base64: string;
  keyid: string;
}

export interface SignatureVectors {
  /** Why the file changed since it was vendored (test/fixtures/README.md). */
  changes?: string[];
  key: VectorKey;
  wrong_key: VectorKey;
  cases: SignatureVector[];
  negative_cases: SignatureVector[];
}

/** Vendored in the repository; where they come from: test/fixtures/README.md. */
const VECTORS_URL = new URL('../../fixtures/signature-vectors.json', import.meta.url);

export const vectors = JSON.parse(readFileSync(VECTORS_URL, 'utf8')) as SignatureVectors;

/** The body bytes of a vector, decoded from `body_base64` so no text re-encoding is involved. */
export function bodyOf(vector: SignatureVector): Uint8Array {
  return Buffer.from(vector.body_base64, 'base64');
}

/** The label of a vector's signature (`pyhms`, `sig1`). */
export function labelOf(vector: SignatureVector): string {
  return vector.signature_input.slice(0, vector.signature_input.indexOf('='));
}

/** The digest algorithm a vector uses, from its Content-Digest header. */
export function digestAlgorithmOf(vector: SignatureVector): 'sha-512' | 'sha-256' {
  const header = vector.headers['Content-Digest'] ?? '';
  return header.startsWith('sha-256=') ? 'sha-256' : 'sha-512';
}

/** `expires` and `nonce` of a vector's Signature-Input, when it has them. */
export function extraParamsOf(vector: SignatureVector): { expires?: number; nonce?: string } {
  const expires = /;expires=(\d+)/.exec(vector.signature_input)?.[1];
  const nonce = /;nonce="([^"]*)"/.exec(vector.signature_input)?.[1];
  return {
    ...(expires === undefined ? {} : { expires: Number(expires) }),
    ...(nonce === undefined ? {} : { nonce }),
  };
}

/**
 * The signed header values of a vector beyond the five required components, as signer options:
 * `deliveryId` and `project` when the vector covers `hookpost-delivery-id` and `hookpost-project`.
 */
export function signedFieldsOf(vector: SignatureVector): { deliveryId?: string; project?: string } {
  const covers = (name: string) => vector.covered_components.includes(name);
  const deliveryId = vector.headers['Hookpost-Delivery-Id'];
  const project = vector.headers['Hookpost-Project'];
  return {
    ...(covers('hookpost-delivery-id') && deliveryId !== undefined ? { deliveryId } : {}),
    ...(covers('hookpost-project') && project !== undefined ? { project } : {}),
  };
}
