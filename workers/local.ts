/** Entrypoint: the all-in-one local process (docs/deploy.md): API, worker, metrics and health on one port. Wiring lives in src/lifecycle/run.ts. */
import { runProcess } from '../src/lifecycle/run.js';

await runProcess('local', process.env);
