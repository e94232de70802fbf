import type { ServerResponse } from 'node:http';

/** Answers with a JSON body (headers set before, such as the rate-limit ones, are kept). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
