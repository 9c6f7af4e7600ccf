export { createMatcher, type CandidateSource, type MatchedObject, type Matcher, type MatcherOptions } from './matcher.js';
export { selectMatches, type Match, type MatchableEvent } from './select.js';
