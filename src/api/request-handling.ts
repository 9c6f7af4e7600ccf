/**
 * How the API reads requests before a route sees them: which bodies it parses, what of the request
 * its log lines show, and at which level a request is logged.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type FastifyInstance, type FastifyRequest, errorCodes } from 'fastify';
import { ErrorCode, HookpostError } from '../errors.js';

/** Strict UTF-8: a malformed byte sequence throws instead of becoming U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * True when the request declares no body: no `Transfer-Encoding` and no `Content-Length` or
 * `Content-Length: 0` (RFC 9112 §6.3).
 */
export function declaresNoBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

/**
 * JSON bodies only, and a request without a body is accepted whatever its `Content-Type` says:
 * clients generated from an OpenAPI document send `Content-Type: application/json` on GET and
 * DELETE too (docs/ubiops-api.md). The route then sees `body === undefined`, and a route that needs a body
 * answers 400 `body: required`. A body on GET is never parsed; one on DELETE (some SDKs send `{}`)
 * is parsed and ignored.
 */
export function registerBodyParsing(app: FastifyInstance): void {
  // A declared-empty request skips parsing altogether, so even a Content-Type Fastify cannot parse
  // (or an unknown one) is no reason to refuse it.
  app.addHook('onRequest', async (request) => {
    if (request.headers['content-type'] !== undefined && declaresNoBody(request.raw.headers)) {
      delete request.raw.headers['content-type'];
    }
  });

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  // Chunked requests can still turn out empty: no body, like the declared-empty ones. Read as bytes
  // and decoded here: as a string, invalid UTF-8 became U+FFFD and then failed the Content-Length
  // check, a misleading answer; JSON text is UTF-8 (RFC 8259 §8.1), so say that.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(new HookpostError(ErrorCode.VALIDATION, 'body: is not valid UTF-8 (JSON must be UTF-8)'), undefined);
    }
    parseJson(request, text, done);
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    if (body.length === 0) done(null, undefined);
    else done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
  });
}

/** The path without its query string: a token someone put in a query string is never logged. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** What Fastify's request log lines show of a request (its `req` serializer). */
export function requestLogView(request: FastifyRequest) {
  return {
    method: request.method,
    path: pathOf(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/**
 * Access lines at the level they deserve: a read that succeeds (a health check, a /metrics scrape,
 * the page at /ui and `hookpost tail` polling twice a second) at debug; a read that fails at info
 * (4xx, 503) or warn (other 5xx); changes (POST, PATCH, PUT, DELETE) as Fastify logs them, at info. Register
 * before the routes: it lowers the request logger of GET/HEAD routes that set no level of their own
 * to warn, so Fastify's own info lines for them go, while what a handler logs at warn or error stays.
 */
export function registerAccessLog(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!route.logLevel && methods.every(isRead)) route.logLevel = 'warn';
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!isRead(request.method) || request.routeOptions.url === undefined) return;
    const status = reply.statusCode;
    // 503 is "not ready" (Redis away, logged once per change by the connection watch): info, not per probe at warn.
    const level = status >= 500 && status !== 503 ? 'warn' : status >= 400 ? 'info' : 'debug';
    app.log[level]({ reqId: request.id, req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
}
