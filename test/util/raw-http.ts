import * as http from 'http';

/** An answer, its body as text. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * An HTTP request sent exactly as given: the path is not normalised (`/../`, `%2e%2e` reach the server as written),
 * headers keep the case of their names (`Origin`, not `origin`), and no connection is kept alive.
 */
export function rawRequest(origin: string, rawPath: string, method = 'GET', headers: Record<string, string> = {}): Promise<RawAnswer> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: rawPath, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
