/**
 * hookpost's BullMQ worker: any BullMQ client can write to our queues, so the worker guards itself.
 * - Data that is not JSON makes BullMQ's own parse throw before a processor runs, and the job would
 *   stall and come back forever; here it reaches the processor as {@link UNREADABLE_DATA}, to be
 *   failed once with a reason.
 * - Retention is ours, whatever the job options say: a job pushed without `removeOnComplete` would
 *   otherwise stay in Redis forever.
 */
import { type Job, type JobJson, type KeepJobs, type Processor, Worker, type WorkerOptions } from 'bullmq';

/** The data a processor sees for a job whose data is not JSON. */
export const UNREADABLE_DATA = Object.freeze({ hookpostUnreadable: 'data is not JSON' });
const UNREADABLE_JSON = JSON.stringify(UNREADABLE_DATA);

/** True for the stand-in data of a job whose data is not JSON. */
export function isUnreadable(data: unknown): boolean {
  return typeof data === 'object' && data !== null && 'hookpostUnreadable' in data;
}

export interface Retention {
  readonly completed: KeepJobs;
  readonly failed: KeepJobs;
}

export class GuardedWorker<D = unknown> extends Worker<D> {
  readonly #retention: Retention | undefined;

  /** `retention`: applied to every job of the queue, overriding the job's own options. */
  constructor(name: string, processor: Processor<D>, opts: WorkerOptions, retention?: Retention) {
    super(name, processor, opts);
    this.#retention = retention;
  }

  protected override createJob(data: JobJson, jobId: string): Job<D> {
    let job: Job<D>;
    try {
      job = super.createJob(data, jobId);
    } catch {
      job = super.createJob({ ...data, data: UNREADABLE_JSON }, jobId);
    }
    if (this.#retention) {
      job.opts = { ...job.opts, removeOnComplete: this.#retention.completed, removeOnFail: this.#retention.failed };
    }
    return job;
  }
}
