/**
 * How the API reads requests before a route sees them: which bodies it parses, and what of the
 * request its log lines show.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type FastifyInstance, type FastifyRequest, errorCodes } from 'fastify';

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
 * DELETE too (SPEC §6). The route then sees `body === undefined`, and a route that needs a body
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
  // Chunked requests can still turn out empty: no body, like the declared-empty ones.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) done(null, undefined);
    else parseJson(request, body as string, done);
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
