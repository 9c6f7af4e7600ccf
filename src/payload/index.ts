export { buildPayload, createPayloadBuilder, MAX_RESULT_BYTES, type BuiltPayload, type PayloadBuilder } from './build.js';
