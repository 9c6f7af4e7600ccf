/**
 * The label values of hookpost's metrics that other folders define, gathered here (the composition
 * root may import every folder; observability/ may not) so that every labelled counter starts at 0
 * for each of them: fired events, circuit states, webhook test outcomes.
 */
import { GATE_STATES } from '../delivery/index.js';
import type { KnownLabelValues } from '../observability/metrics.js';
import { ALL_EVENTS, WEBHOOK_TEST_STATUSES } from '../registry/index.js';

export const KNOWN_LABEL_VALUES: KnownLabelValues = Object.freeze({
  events: ALL_EVENTS,
  circuitStates: GATE_STATES,
  // A test is counted when it ends; `pending` is never a counted outcome.
  webhookTestOutcomes: WEBHOOK_TEST_STATUSES.filter((status) => status !== 'pending'),
});
