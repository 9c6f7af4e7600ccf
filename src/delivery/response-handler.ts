/**
 * undici's dispatch handler for one delivery attempt, on the handler API of undici 7
 * (`onRequestStart` ▸ `onResponseStart` ▸ `onResponseData` ▸ `onResponseEnd` | `onResponseError`):
 * it keeps the final status, the `Retry-After` of a 429 or 503, the Content-Type and the first
 * {@link EXCERPT_BYTES} of the body, reads at most `maxResponseBytes` of the body (a small answer
 * leaves the connection reusable; a larger one is cut off), and calls `onEnd` once.
 *
 * The dispatcher API with a handler of our own (rather than `request` and `body.dump()`) saves a
 * response stream per request: measured 30 vs 39 µs CPU per 1 KB POST.
 */
import type { Dispatcher } from 'undici';
import { parseRetryAfter } from '../retry/index.js';

/** Response bytes kept as the attempt's excerpt (the attempt log shows them). */
export const EXCERPT_BYTES = 1_024;

export interface ResponseHandlerOptions {
  /** Response bytes read before the rest is discarded (and the connection dropped). */
  readonly maxResponseBytes: number;
  /** Called when undici starts the request on a connection (connect and TLS handshake are done). */
  readonly onStart?: () => void;
  /**
   * Called once: when the response ended, was cut at the cap, or failed (`err`). A status may be
   * known in every case (a body cut short after the status line still answered).
   */
  readonly onEnd: (err?: Error) => void;
}

type Controller = Dispatcher.DispatchController;
type Headers = Record<string, string | string[] | undefined>;

/** The last value of a header that may repeat. */
const lastOf = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.at(-1) : value);

export class ResponseHandler implements Dispatcher.DispatchHandler {
  /** The final (non-1xx) status, once it arrived. */
  status: number | undefined;
  /** The last interim (1xx) status, when one arrived: what the receiver did if no final one follows. */
  interimStatus: number | undefined;
  /** From `Retry-After` on a 429 or 503, in milliseconds from when it arrived. */
  retryAfterMs: number | undefined;
  contentType: string | undefined;
  readonly #excerpt: Buffer[] = [];
  readonly #maxResponseBytes: number;
  readonly #onEnd: (err?: Error) => void;
  readonly #onStart: (() => void) | undefined;
  #receivedBytes = 0;
  #ended = false;
  #controller: Controller | undefined;
  /** An abort asked for before undici handed over the controller. */
  #pendingAbort: Error | undefined;

  constructor(options: ResponseHandlerOptions) {
    this.#maxResponseBytes = options.maxResponseBytes;
    this.#onEnd = options.onEnd;
    this.#onStart = options.onStart;
  }

  /** Aborts the request (now, or as soon as it starts). */
  abort(reason: Error): void {
    if (this.#controller) this.#controller.abort(reason);
    else this.#pendingAbort = reason;
  }

  /** True once undici started the request on a connection (connect and TLS handshake done). */
  get started(): boolean {
    return this.#controller !== undefined;
  }

  /** The excerpt as text (see {@link excerptOf}). */
  excerpt(): string | undefined {
    return excerptOf(this.#excerpt, this.contentType);
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    this.#onStart?.();
    if (this.#pendingAbort) controller.abort(this.#pendingAbort);
  }

  onResponseStart(_controller: Controller, statusCode: number, headers: Headers): void {
    if (statusCode < 200) {
      this.interimStatus = statusCode;
      return;
    }
    this.status = statusCode;
    this.contentType = lastOf(headers['content-type']);
    if (statusCode === 429 || statusCode === 503) {
      const retryAfter = lastOf(headers['retry-after']);
      if (retryAfter !== undefined) this.retryAfterMs = parseRetryAfter(retryAfter, Date.now());
    }
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#receivedBytes < EXCERPT_BYTES) this.#excerpt.push(Buffer.from(chunk.subarray(0, EXCERPT_BYTES - this.#receivedBytes)));
    this.#receivedBytes += chunk.length;
    if (this.#receivedBytes <= this.#maxResponseBytes) return;
    this.#end();
    controller.abort(new Error('response body over the cap'));
  }

  onResponseEnd(): void {
    this.#end();
  }

  onResponseError(_controller: Controller, err: Error): void {
    this.#end(err);
  }

  #end(err?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#onEnd(err);
  }
}

const TEXTUAL_TYPE_RE = /^\s*(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded|problem\+json)\b)/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: binary that happens to be UTF-8 has control characters
const BINARY_RE = /[\x00-\x08\x0e-\x1f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The excerpt as text: for a textual Content-Type decoded as UTF-8 (invalid bytes replaced), else
 * only when the bytes are valid UTF-8 without control characters. A character cut by the 1 KiB
 * limit is dropped, and the text as stored is at most {@link EXCERPT_BYTES} bytes of UTF-8 too
 * (an invalid byte decodes to U+FFFD, 3 bytes). Undefined when there is no body or it is not text.
 */
function excerptOf(chunks: readonly Buffer[], contentType: string | undefined): string | undefined {
  if (chunks.length === 0) return undefined;
  let bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  if (bytes.length === 0) return undefined;
  // Back off a multi-byte character the limit cut (continuation bytes are 10xxxxxx).
  if (bytes.length >= EXCERPT_BYTES) {
    let end = bytes.length;
    while (end > bytes.length - 3 && end > 1 && ((bytes[end - 1] as number) & 0xc0) === 0x80) end--;
    const lead = bytes[end - 1] as number;
    const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (bytes.length - (end - 1) < needed) bytes = bytes.subarray(0, end - 1);
  }
  if (contentType !== undefined && TEXTUAL_TYPE_RE.test(contentType)) return capUtf8(bytes.toString('utf8'));
  try {
    const text = utf8.decode(bytes);
    return BINARY_RE.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

/** `text` cut to at most {@link EXCERPT_BYTES} bytes of UTF-8, on a character boundary. */
function capUtf8(text: string): string {
  if (text.length * 3 <= EXCERPT_BYTES) return text;
  const encoded = Buffer.from(text, 'utf8');
  if (encoded.length <= EXCERPT_BYTES) return text;
  let end = EXCERPT_BYTES;
  while (end > 0 && ((encoded[end] as number) & 0xc0) === 0x80) end--;
  return encoded.subarray(0, end).toString('utf8');
}
