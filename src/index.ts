/**
 * hookpost's public API: the producer, the receiver-side verifier, configuration and errors.
 * Everything else is internal.
 */
export { ErrorCode, HookpostError, hasCode } from './errors.js';
export { loadConfig, type Config, type LoadConfigOptions } from '../config/index.js';
