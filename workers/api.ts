/** Entrypoint: the api process (docs/deploy.md). Wiring lives in src/lifecycle/run.ts. */
import { runProcess } from '../src/lifecycle/run.js';

await runProcess('api', process.env);
