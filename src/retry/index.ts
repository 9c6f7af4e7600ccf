export { nextRetryDelayMs, parseRetryAfter, type NextRetryDelayInput } from './policy.js';
