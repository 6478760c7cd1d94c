/**
 * Calls an API with the signed-in user's ID token (what the tenant router's authorizer and the control plane's JWT
 * authorizer verify) and turns every failure into an `ApiError` the pages can explain.
 */

/** What went wrong, as a page explains it. */
export type ApiErrorKind = 'unauthorized' | 'forbidden' | 'not-found' | 'invalid' | 'conflict' | 'throttled' | 'unavailable' | 'server' | 'network';

export class ApiError extends Error {
  /** Seconds the server asked to wait (`Retry-After`), if it said. */
  public readonly retryAfterSeconds?: number;
  constructor(public readonly kind: ApiErrorKind, public readonly status: number, message: string, retryAfter?: string | null) {
    super(message);
    this.name = 'ApiError';
    const seconds = retryAfter ? Number(retryAfter) : NaN;
    this.retryAfterSeconds = Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
  }
}

function kindOf(status: number): ApiErrorKind {
  switch (status) {
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not-found';
    case 409: return 'conflict';
    case 429: return 'throttled';
    case 502: case 503: case 504: return 'unavailable';
    default: return status >= 500 ? 'server' : 'invalid';
  }
}

export interface ApiClientOptions {
  /** The API's base URL, ending with `/`. */
  readonly baseUrl: string;
  /** The ID token to send, fetched before each call (refreshed by the auth library when it expires). */
  readonly token: () => Promise<string>;
  readonly fetchFn?: typeof fetch;
  /** Called when the session has ended (no token, or a 401): the app goes back to sign-in. */
  readonly onUnauthorized?: () => void;
}

export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  public get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== '') {
        params.set(k, String(v));
      }
    }
    const qs = params.toString();
    return this.call<T>('GET', qs ? `${path}?${qs}` : path);
  }

  public post<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    return this.call<T>('POST', path, body, headers);
  }

  public put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  public delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  private async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const url = new URL(path.replace(/^\//, ''), this.options.baseUrl).toString();
    let token: string;
    try {
      token = await this.options.token();
    } catch {
      this.options.onUnauthorized?.();
      throw new ApiError('unauthorized', 401, 'You are signed out.');
    }
    let response: Response;
    try {
      response = await (this.options.fetchFn ?? fetch)(url, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      // A refused connection, or an answer the browser hid (no CORS headers): the page learns nothing more.
      throw new ApiError('network', 0, 'The service could not be reached. Check your connection and try again.');
    }
    const text = await response.text();
    let payload: unknown;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      payload = undefined;
    }
    if (response.status === 401) {
      this.options.onUnauthorized?.();
    }
    if (!response.ok) {
      const message = typeof (payload as { message?: unknown })?.message === 'string'
        ? (payload as { message: string }).message
        : `HTTP ${response.status}`;
      throw new ApiError(kindOf(response.status), response.status, message, response.headers.get('Retry-After'));
    }
    return payload as T;
  }
}

/** A sentence for a page: what happened and what the user can do. */
export function explainError(error: unknown): { title: string; detail: string } {
  if (error instanceof ApiError) {
    const wait = error.retryAfterSeconds !== undefined ? ` Try again in ${error.retryAfterSeconds} s.` : ' Try again shortly.';
    switch (error.kind) {
      case 'unauthorized':
        return { title: 'Your session has ended', detail: 'Sign in again to continue.' };
      case 'forbidden':
        return { title: 'Not allowed', detail: `You do not have access to this (${error.message}).` };
      case 'throttled':
        return { title: 'Too many requests', detail: `Your tenant has reached its request rate, so the API is throttling it.${wait}` };
      case 'unavailable':
        return { title: 'Service busy', detail: `The service could not answer in time.${wait}` };
      case 'not-found':
        return { title: 'Not found', detail: error.message };
      case 'network':
        return { title: 'Cannot reach the service', detail: error.message };
      case 'server':
        return { title: 'Something went wrong', detail: 'The service failed to answer. Try again; if it persists, contact support.' };
      default:
        return { title: 'Request refused', detail: error.message };
    }
  }
  return { title: 'Something went wrong', detail: error instanceof Error ? error.message : String(error) };
}
