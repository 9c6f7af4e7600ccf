/**
 * Webhook secrets on write (docs/signing.md, Standard Webhooks): the rule a new secret must follow, and how a change keeps
 * the replaced secret signing for the rotation overlap. Secrets are compared in constant time
 * (over SHA-256 digests, so lengths do not leak either) and never appear in error messages.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode, HookpostError, hasCode } from '../errors.js';
import { type StoredWebhookSecrets, decodeSecret } from '../signing/index.js';

/** Length bounds of a webhook secret, in characters. */
export const SECRET_LIMITS = Object.freeze({ minChars: 1, maxChars: 256 });

/**
 * Checks a secret given on create or update: 1-256 characters and, for a `whsec_` secret,
 * non-empty padded base64 after the prefix (what `decodeSecret` accepts).
 *
 * @throws HookpostError VALIDATION with a message naming `secret` (never quoting it)
 */
export function assertValidSecret(secret: string): void {
  if (secret.length < SECRET_LIMITS.minChars || secret.length > SECRET_LIMITS.maxChars) {
    throw new HookpostError(
      ErrorCode.VALIDATION,
      `secret: must be ${SECRET_LIMITS.minChars}-${SECRET_LIMITS.maxChars} characters`,
    );
  }
  try {
    decodeSecret(secret);
  } catch (err) {
    if (hasCode(err, ErrorCode.WEBHOOK_SECRET_INVALID)) {
      throw new HookpostError(ErrorCode.VALIDATION, `secret: ${err.message}`);
    }
    throw err;
  }
}

const digest = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** Constant-time equality of two secrets. */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The secrets stored after a write. `input` undefined or null keeps `stored` (UP42's PUT sends
 * `secret: null` for "unchanged"; generated clients drop null fields). The same secret again
 * changes nothing; another one becomes `current`, and the one it replaces stays as `previous`
 * with `rotatedAt` = `nowIso`, so deliveries carry both signatures for 24 h.
 */
export function nextSecrets(
  stored: StoredWebhookSecrets | null,
  input: string | null | undefined,
  nowIso: string,
): StoredWebhookSecrets | null {
  if (input === undefined || input === null) return stored;
  assertValidSecret(input);
  if (stored === null) return { current: input, previous: null, rotatedAt: null };
  if (secretsEqual(stored.current, input)) return stored;
  return { current: input, previous: stored.current, rotatedAt: nowIso };
}
