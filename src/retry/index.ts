export { jitter, nextRetryDelayMs, parseRetryAfter, type NextRetryDelayInput } from './policy.js';
