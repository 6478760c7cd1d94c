/**
 * The reverse proxying that the REST API stand-in (its HTTP integrations) and the load balancer stand-in (`forward`)
 * share: which headers pass, `X-Forwarded-*`, trace ids, and streaming a request to a target and its answer back. What
 * each service answers when the target fails (API Gateway's 504 and 500, ALB's 502, 503 and 504 pages) and what it adds
 * stays with its stand-in.
 */
import { randomBytes } from 'crypto';
import * as http from 'http';

/** Hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own: a proxy does not pass them on. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate',
]);

/**
 * A message's end-to-end headers, as a proxy passes them on: hop-by-hop ones dropped (and any `drop` names), the body's
 * framing kept (`content-length`, else `transfer-encoding: chunked` where the message was chunked).
 */
export function endToEndHeaders(headers: http.IncomingHttpHeaders, drop: (name: string) => boolean = () => false): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !drop(name)) {
      out[name] = value;
    }
  }
  if (headers['content-length'] === undefined && headers['transfer-encoding']) {
    out['transfer-encoding'] = 'chunked';
  }
  return out;
}

/** The client's address, as the proxy sees it (IPv4 without its IPv6 mapping). */
export function clientIp(req: http.IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** `X-Forwarded-For` with the client's address appended to what it sent. */
export function forwardedFor(sent: string | string[] | undefined, client: string): string {
  const before = Array.isArray(sent) ? sent.join(', ') : sent;
  return before ? `${before}, ${client}` : client;
}

/** The `X-Forwarded-*` headers a proxy adds for a request it received on `proto`/`port`. */
export function xForwarded(req: http.IncomingMessage, proto: string, port: number): Record<string, string> {
  return {
    'x-forwarded-for': forwardedFor(req.headers['x-forwarded-for'], clientIp(req)),
    'x-forwarded-proto': proto,
    'x-forwarded-port': String(port),
  };
}

/** A new X-Ray trace root, `Root=1-<epoch seconds, hex>-<96 random bits, hex>`. */
export function traceRoot(now = Date.now()): string {
  return `Root=1-${Math.floor(now / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

export interface ForwardOptions {
  /** The request received: its body is streamed to the target. */
  readonly req: http.IncomingMessage;
  /** Where the target's answer is streamed (status, end-to-end headers, body). */
  readonly res: http.ServerResponse;
  readonly agent: http.Agent;
  readonly host: string;
  readonly port: number;
  readonly method: string;
  /** Path and query, as sent to the target. */
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  /** Headers the proxy adds to the target's answer (replacing the target's of the same name). */
  readonly responseHeaders?: Record<string, string>;
  /**
   * `response`: the target must start its answer within `ms` (API Gateway's integration timeout); `idle`: the
   * connection may not be idle for `ms` (ALB's idle timeout).
   */
  readonly timeout: { readonly ms: number; readonly kind: 'response' | 'idle' };
}

/**
 * How a forwarded request ended: `answered` (the target's status was sent to the client; `complete` false when the
 * answer broke off, and the client's connection was destroyed), or, with nothing sent to the client yet, `timeout` or
 * `failed` (the connection failed), for the caller to answer.
 */
export type ForwardResult =
  | { readonly outcome: 'answered'; readonly status: number; readonly complete: boolean }
  | { readonly outcome: 'timeout' }
  | { readonly outcome: 'failed'; readonly error: Error };

/** Streams a request to a target and its answer back to the client. */
export function forward(o: ForwardOptions): Promise<ForwardResult> {
  return new Promise<ForwardResult>((resolve) => {
    let settled = false;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (result: ForwardResult) => {
      clearTimeout(timer);
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    const upstream = http.request({
      host: o.host, port: o.port, method: o.method, path: o.path, headers: o.headers, agent: o.agent,
    }, (answer) => {
      if (o.timeout.kind === 'response') {
        clearTimeout(timer);
      }
      const status = answer.statusCode ?? 502;
      o.res.writeHead(status, { ...endToEndHeaders(answer.headers), ...o.responseHeaders });
      answer.pipe(o.res);
      answer.on('end', () => settle({ outcome: 'answered', status, complete: true }));
      answer.on('error', () => {
        o.res.destroy();
        settle({ outcome: 'answered', status, complete: false });
      });
    });
    const expire = () => {
      timedOut = true;
      upstream.destroy(new Error(`no answer within ${o.timeout.ms} ms`));
    };
    if (o.timeout.kind === 'response') {
      timer = setTimeout(expire, o.timeout.ms);
    } else {
      upstream.setTimeout(o.timeout.ms, expire);
    }
    upstream.on('error', (error) => {
      if (o.res.headersSent) {
        o.res.destroy();
        settle({ outcome: 'answered', status: o.res.statusCode, complete: false });
      } else {
        settle(timedOut ? { outcome: 'timeout' } : { outcome: 'failed', error });
      }
    });
    o.req.pipe(upstream);
  });
}
