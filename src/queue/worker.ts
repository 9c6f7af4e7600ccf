/**
 * hookpost's BullMQ worker: any BullMQ client can write to our queues, so the worker guards itself.
 * - Data that is not JSON makes BullMQ's own parse throw before a processor runs, and the job would
 *   stall and come back forever; here it reaches the processor as {@link UNREADABLE_DATA}, to be
 *   failed once with a reason.
 * - Data over the size cap is never parsed: a 10 MB event would cost its parse tree and more on
 *   every worker that takes it. The processor gets a small stand-in saying how large it was.
 * - Retention is ours, whatever the job options say: a job pushed without `removeOnComplete` would
 *   otherwise stay in Redis forever.
 * - The consumer loop never waits on a blocking connection that stopped answering (the watchdog, see
 *   {@link WorkerGuards.stallGraceMs}).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Job, type JobJson, type KeepJobs, type Processor, Worker, type WorkerOptions } from 'bullmq';

/** The data a processor sees for a job whose data is not JSON. */
export const UNREADABLE_DATA = Object.freeze({ hookpostUnreadable: 'data is not JSON' });
const UNREADABLE_JSON = JSON.stringify(UNREADABLE_DATA);

const rawData = new WeakMap<Job, string>();

/**
 * The job's data exactly as stored (the JSON text BullMQ parsed into `job.data`), for jobs that a
 * {@link GuardedWorker} created; undefined for others and for stand-ins.
 */
export function rawDataOf(job: Job): string | undefined {
  return rawData.get(job);
}

/** True for the stand-in data of a job whose data is not JSON or too large. */
export function isUnreadable(data: unknown): boolean {
  return typeof data === 'object' && data !== null && 'hookpostUnreadable' in data;
}

/** Why a job's data was replaced by a stand-in (`data is not JSON`, or its size against the cap). */
export function unreadableReason(data: unknown): string {
  const reason = isUnreadable(data) ? (data as { hookpostUnreadable: unknown }).hookpostUnreadable : undefined;
  return typeof reason === 'string' ? reason : UNREADABLE_DATA.hookpostUnreadable;
}

/**
 * The UTF-8 size of `json` when it is over `maxBytes`, else undefined, without encoding it: a
 * string's UTF-8 size is at least its length and at most three times it.
 */
export function oversizeBytes(json: string, maxBytes: number): number | undefined {
  if (json.length * 3 <= maxBytes) return undefined;
  const bytes = Buffer.byteLength(json, 'utf8');
  return bytes > maxBytes ? bytes : undefined;
}

export interface Retention {
  readonly completed: KeepJobs;
  readonly failed: KeepJobs;
}

export interface WorkerGuards {
  /** Applied to every job of the queue, overriding the job's own options. */
  readonly retention?: Retention;
  /**
   * Largest job data accepted, in UTF-8 bytes of its JSON as stored; larger data is not parsed and
   * the processor sees `event: is N bytes of JSON, more than the limit of M` as its unreadable reason.
   */
  readonly maxDataBytes?: number;
  /**
   * The watchdog on the consumer loop. BullMQ's loop waits for jobs with a blocking command (up to
   * `blockTimeout` seconds, at most 10) on a connection of its own, and brings that connection back
   * after an error before it goes on; when the wait or the reconnection never settles (an ioredis
   * Cluster after an outage, a connection that stopped answering), the worker takes no job again.
   * Here a wait unanswered `blockTimeout` + `stallGraceMs` after it began counts as stalled: the
   * loop goes on as if it had timed out (it asks for a job, so waiting jobs still run), and until the
   * stalled wait settles the worker polls every `blockTimeout` instead of starting another one on the
   * same connection. A reconnection of the blocking connection gets the same bound. Default 5,000.
   */
  readonly stallGraceMs?: number;
  /** Told once when the blocking wait stalls, and once when it answers again (`stalledMs` after). */
  readonly onStall?: (event: { readonly state: 'stalled' } | { readonly state: 'recovered'; readonly stalledMs: number }) => void;
}

/** The part of a BullMQ queue backend the watchdog bounds. */
interface BlockingBackend {
  waitForJob(blockTimeout: number): Promise<{ member: string; score: number } | null>;
  reconnectBlocking(): Promise<void>;
}

export class GuardedWorker<D = unknown> extends Worker<D> {
  readonly #retention: Retention | undefined;
  readonly #maxDataBytes: number | undefined;

  readonly #closing = new AbortController();

  constructor(name: string, processor: Processor<D>, opts: WorkerOptions, guards: WorkerGuards = {}) {
    super(name, processor, opts);
    this.#retention = guards.retention;
    this.#maxDataBytes = guards.maxDataBytes;
    guardBlockingWait(this.backend, guards.stallGraceMs ?? 5_000, this.#closing.signal, guards.onStall ?? (() => {}));
  }

  override async close(force?: boolean): Promise<void> {
    this.#closing.abort();
    await super.close(force);
  }

  protected override createJob(data: JobJson, jobId: string): Job<D> {
    let job: Job<D>;
    const size =
      this.#maxDataBytes === undefined || typeof data.data !== 'string' ? undefined : oversizeBytes(data.data, this.#maxDataBytes);
    if (size !== undefined) {
      const reason = `event: is ${size} bytes of JSON, more than the limit of ${this.#maxDataBytes}`;
      job = super.createJob({ ...data, data: JSON.stringify({ hookpostUnreadable: reason }) }, jobId);
    } else {
      try {
        job = super.createJob(data, jobId);
        if (typeof data.data === 'string') rawData.set(job, data.data);
      } catch {
        job = super.createJob({ ...data, data: UNREADABLE_JSON }, jobId);
      }
    }
    if (this.#retention) {
      job.opts = { ...job.opts, removeOnComplete: this.#retention.completed, removeOnFail: this.#retention.failed };
    }
    return job;
  }
}

/**
 * Bounds the backend's blocking wait and the reconnection of its blocking connection (see
 * {@link WorkerGuards.stallGraceMs}). A stalled call is left to settle on its own; no second one is
 * started on the connection until it has.
 */
function guardBlockingWait(backend: BlockingBackend, graceMs: number, closing: AbortSignal, onStall: NonNullable<WorkerGuards['onStall']>): void {
  const waitForJob = backend.waitForJob.bind(backend);
  const reconnect = backend.reconnectBlocking.bind(backend);
  let stalled: { since: number; call: Promise<unknown> } | undefined;
  const pause = (ms: number) => sleep(ms, undefined, { signal: closing }).catch(() => undefined);
  /** Resolves with the call's result, or with `fallback` when it is unanswered after `boundMs`; a stall is reported once. */
  const bounded = async <T>(call: Promise<T>, boundMs: number, fallback: T): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      call.then((value) => ({ value })),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), boundMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (outcome) return outcome.value;
    if (!stalled) {
      const since = Date.now();
      stalled = { since, call };
      onStall({ state: 'stalled' });
      void call
        .catch(() => undefined)
        .then(() => {
          stalled = undefined;
          if (!closing.aborted) onStall({ state: 'recovered', stalledMs: Date.now() - since });
        });
    }
    return fallback;
  };
  backend.waitForJob = async (blockTimeout) => {
    if (stalled) {
      // Poll: the loop asks for a job after each "timed out" wait.
      await pause(Math.max(100, blockTimeout * 1_000));
      return null;
    }
    return bounded(waitForJob(blockTimeout), blockTimeout * 1_000 + graceMs, null);
  };
  backend.reconnectBlocking = async () => {
    if (stalled) return;
    await bounded(reconnect(), 10_000 + graceMs, undefined);
  };
}
