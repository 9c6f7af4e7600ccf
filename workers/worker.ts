/** Entrypoint: the worker process (SPEC §9). Wiring lives in src/lifecycle/run.ts. */
import { runProcess } from '../src/lifecycle/run.js';

await runProcess('worker', process.env);
