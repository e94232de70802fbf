import { request, type Dispatcher } from 'undici';

/**
 * Posts `{"text": …}` to a Slack-compatible incoming webhook. Throws on a
 * non-2xx answer with the status only: the URL is a secret and never goes
 * into a message.
 */
export async function postWebhook(
  url: string,
  text: string,
  options: { timeoutMs?: number; dispatcher?: Dispatcher } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const response = await request(url, {
    method: 'POST',
    body: JSON.stringify({ text }),
    headers: { 'content-type': 'application/json' },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    dispatcher: options.dispatcher,
  });
  await response.body.dump();
  if (response.statusCode < 200 || response.statusCode >= 300)
    throw new Error(`the webhook answered HTTP ${response.statusCode}`);
}
