/** Entrypoint: the api process (SPEC §9). Wiring lives in src/lifecycle/run.ts. */
import { runProcess } from '../src/lifecycle/run.js';

await runProcess('api', process.env);
