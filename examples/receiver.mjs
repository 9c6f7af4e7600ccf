#!/usr/bin/env node
/**
 * A webhook receiver that accepts only deliveries hookpost signed (`hookpost/verify`): 204 when the
 * signature verifies, 401 (and a line saying why) when it does not. Run it beside `npm start`:
 *
 *   node examples/receiver.mjs            # listens on http://127.0.0.1:9000
 *
 * Environment (all optional):
 *   PORT, HOST                 where to listen (default 9000, 127.0.0.1)
 *   HOOKPOST_API               where to fetch the public key, GET <api>/v2.1/signing-key
 *                              (default http://127.0.0.1:8080; no token needed)
 *   HOOKPOST_PUBLIC_KEY_FILE   a PEM public key file instead of fetching it
 *   RECEIVER_BASE_URL          the scheme://host[:port] hookpost sends to, when a proxy in front of this
 *                              server changes it (e.g. https://hooks.example.com behind a TLS proxy);
 *                              default: this server's own scheme and the request's Host header
 *   HOOKPOST_PROJECT           accept only deliveries signed for this project (one key signs for every
 *                              project of a hookpost installation); default: any project
 *
 * The signature covers the URL hookpost addressed (@target-uri), so the URL rebuilt here must be that
 * one: http:// for a plain-http receiver, https:// only when the request really arrived over TLS.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { verify } from 'hookpost/verify';

const port = Number(process.env.PORT ?? 9000);
const host = process.env.HOST ?? '127.0.0.1';
const api = (process.env.HOOKPOST_API ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const baseUrl = process.env.RECEIVER_BASE_URL?.replace(/\/$/, '');
const project = process.env.HOOKPOST_PROJECT || undefined;

async function publicKey() {
  if (process.env.HOOKPOST_PUBLIC_KEY_FILE) return readFile(process.env.HOOKPOST_PUBLIC_KEY_FILE, 'utf8');
  let res;
  try {
    res = await fetch(`${api}/v2.1/signing-key`);
  } catch (err) {
    const why = err.cause?.code ?? err.cause?.message ?? err.message;
    console.error(`receiver: cannot fetch the public key from ${api}/v2.1/signing-key (${why}): is hookpost (npm start) running? Set HOOKPOST_API to its address, or HOOKPOST_PUBLIC_KEY_FILE.`);
    process.exit(1);
  }
  if (!res.ok) {
    console.error(`receiver: GET ${api}/v2.1/signing-key answered ${res.status}: is HOOKPOST_API (${api}) hookpost's API?`);
    process.exit(1);
  }
  return (await res.json()).public_key_pem;
}

/** The absolute URL the request was addressed to: scheme + Host header + path and query as received. */
function addressedUrl(req) {
  if (baseUrl) return `${baseUrl}${req.url}`;
  const scheme = req.socket.encrypted ? 'https' : 'http';
  return `${scheme}://${req.headers.host}${req.url}`;
}

const key = await publicKey();

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    const result = await verify(
      { method: req.method ?? 'POST', url: addressedUrl(req), headers: req.headers, body },
      { publicKey: key, ...(project === undefined ? {} : { project }) },
    );
    if (!result.ok) {
      console.log(`rejected ${result.reason}: ${result.message}`);
      res.writeHead(401, { 'content-type': 'text/plain' }).end(`${result.reason}\n`);
      return;
    }
    // Trusted only now. Deliveries are at-least-once: deduplicate on the signed delivery id.
    const event = JSON.parse(body.toString('utf8'));
    console.log(`accepted ${event.event} request ${event.request_id} delivery ${result.deliveryId} project ${result.project}`);
    console.log(`  ${body.toString('utf8')}`);
    res.writeHead(204).end();
  });
});
server.on('error', (err) => {
  // A second run beside the first, or another program on the port: say so and how to pick another.
  if (err.code === 'EADDRINUSE') {
    console.error(
      `receiver: port ${port} on ${host} is taken (another receiver still running? \`kill %1\` or \`jobs\` shows it). ` +
        `To run another one, choose a free port: PORT=${port + 1} node examples/receiver.mjs, ` +
        `and use http://${host}:${port + 1}/hook as the webhook's url.`,
    );
  } else if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
    console.error(`receiver: cannot listen on ${host}:${port} (${err.code}): choose another PORT or HOST.`);
  } else {
    console.error(`receiver: cannot listen on ${host}:${port}: ${err.message}`);
  }
  process.exit(1);
});
server.listen(port, host, () => {
  console.log(`receiver listening on http://${host}:${port}, verifying with the key from ${process.env.HOOKPOST_PUBLIC_KEY_FILE ?? `${api}/v2.1/signing-key`}`);
});
