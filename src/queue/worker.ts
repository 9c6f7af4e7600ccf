/**
 * hookpost's BullMQ worker: any BullMQ client can write to our queues, so the worker guards itself.
 * - Data that is not JSON makes BullMQ's own parse throw before a processor runs, and the job would
 *   stall and come back forever; here it reaches the processor as {@link UNREADABLE_DATA}, to be
 *   failed once with a reason.
 * - Data over the size cap is never parsed: a 10 MB event would cost its parse tree and more on
 *   every worker that takes it. The processor gets a small stand-in saying how large it was.
 * - Retention is ours, whatever the job options say: a job pushed without `removeOnComplete` would
 *   otherwise stay in Redis forever.
 */
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
}

export class GuardedWorker<D = unknown> extends Worker<D> {
  readonly #retention: Retention | undefined;
  readonly #maxDataBytes: number | undefined;

  constructor(name: string, processor: Processor<D>, opts: WorkerOptions, guards: WorkerGuards = {}) {
    super(name, processor, opts);
    this.#retention = guards.retention;
    this.#maxDataBytes = guards.maxDataBytes;
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
