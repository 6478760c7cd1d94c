/** Component-test helpers: an API client over a scripted fetch that records every call. */
import { ApiClient } from './api';

export interface RecordedCall {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

/** An answer: a status and JSON body, with headers. */
export interface Scripted {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * A fetch that answers `METHOD path` (path without the base URL, query included) from `routes`; a function route
 * sees the call. Unknown routes are 404.
 */
export function scriptedFetch(routes: Record<string, Scripted | ((call: RecordedCall) => Scripted)>, calls: RecordedCall[] = []): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>));
    const call: RecordedCall = { method: init?.method ?? 'GET', url, headers, body: init?.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(call);
    const u = new URL(url);
    const key = `${call.method} ${u.pathname.replace(/^\/base\//, '/')}${u.search}`;
    const route = routes[key];
    const answer = typeof route === 'function' ? route(call) : route ?? { status: 404, body: { message: `no route ${key}` } };
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { 'content-type': 'application/json', ...(answer.headers ?? {}) },
    });
  }) as typeof fetch;
}

/** An ApiClient at `http://api.test/base/` with a fixed token, over `fetchFn`. */
export function testApi(fetchFn: typeof fetch): ApiClient {
  return new ApiClient({ baseUrl: 'http://api.test/base/', token: async () => 'id-token', fetchFn });
}
