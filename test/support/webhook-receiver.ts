import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local webhook endpoint: answers 200, or the statuses queued with `answerNext`, one per request. */
export interface WebhookReceiver {
  url: string;
  answerNext(...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const statuses: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = statuses.shift() ?? 200;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answerNext: (...next) => void statuses.push(...next),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
