/**
 * The one API token of the test fixtures: test engines, their apps and hookpost child processes
 * accept it (HOOKPOST_API_TOKENS), and tests send it as `Authorization: Token <TEST_TOKEN>`.
 */
export const TEST_TOKEN = 'test-token-0123456789';

/** The header that carries {@link TEST_TOKEN}. */
export const TEST_AUTH = { authorization: `Token ${TEST_TOKEN}` } as const;
