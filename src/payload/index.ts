export { buildPayload, MAX_RESULT_BYTES, type BuiltPayload } from './build.js';
