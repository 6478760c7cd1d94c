import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, explainError } from './api';
import { RecordedCall, scriptedFetch, testApi } from './testing';

describe('ApiClient', () => {
  it('sends the ID token as a bearer token, JSON bodies and extra headers, to the base URL', async () => {
    const calls: RecordedCall[] = [];
    const api = testApi(scriptedFetch({ 'POST /products': { status: 201, body: { id: 'p1' } } }, calls));
    await expect(api.post('/products', { name: 'Anvil' }, { 'Idempotency-Key': 'k1' })).resolves.toEqual({ id: 'p1' });
    expect(calls).toEqual([{
      method: 'POST',
      url: 'http://api.test/base/products',
      headers: { 'Authorization': 'Bearer id-token', 'Content-Type': 'application/json', 'Idempotency-Key': 'k1' },
      body: { name: 'Anvil' },
    }]);
  });

  it('builds the query string, leaving out empty values', async () => {
    const calls: RecordedCall[] = [];
    const api = testApi(scriptedFetch({ 'GET /tenants?limit=10': { body: { data: [] } } }, calls));
    await api.get('tenants', { limit: 10, next_token: undefined });
    expect(calls[0].url).toBe('http://api.test/base/tenants?limit=10');
  });

  it.each([
    [401, 'unauthorized'], [403, 'forbidden'], [404, 'not-found'], [400, 'invalid'], [409, 'conflict'],
    [429, 'throttled'], [503, 'unavailable'], [504, 'unavailable'], [500, 'server'],
  ])('turns HTTP %i into an ApiError of kind %s with the body\'s message', async (status, kind) => {
    const api = testApi(scriptedFetch({ 'GET /x': { status, body: { message: `m${status}` } } }));
    const error = await api.get('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ kind, status, message: `m${status}` });
  });

  it('reads Retry-After', async () => {
    const api = testApi(scriptedFetch({ 'GET /x': { status: 429, body: { message: 'Too Many Requests' }, headers: { 'Retry-After': '7' } } }));
    const error = (await api.get('x').catch((e: unknown) => e)) as ApiError;
    expect(error.retryAfterSeconds).toBe(7);
    expect(explainError(error)).toEqual({
      title: 'Too many requests',
      detail: 'Your tenant has reached its request rate, so the API is throttling it. Try again in 7 s.',
    });
  });

  it('turns a failed fetch (no connection, or a response without CORS headers) into a network error', async () => {
    const api = testApi((async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch);
    await expect(api.get('x')).rejects.toMatchObject({ kind: 'network', status: 0 });
  });

  it('explains a 403 and a 503 without Retry-After', () => {
    expect(explainError(new ApiError('forbidden', 403, 'User is not authorized')).detail).toBe('You do not have access to this (User is not authorized).');
    expect(explainError(new ApiError('unavailable', 503, 'x')).detail).toBe('The service could not answer in time. Try again shortly.');
  });

  it('tells the app when the session has ended: a 401, or no token to send', async () => {
    const ended = vi.fn();
    const api = new ApiClient({ baseUrl: 'http://api.test/base/', token: async () => 'id-token', fetchFn: scriptedFetch({ 'GET /x': { status: 401, body: { message: 'Unauthorized' } } }), onUnauthorized: ended });
    await expect(api.get('x')).rejects.toMatchObject({ kind: 'unauthorized' });
    const signedOut = new ApiClient({ baseUrl: 'http://api.test/base/', token: async () => { throw new Error('signed out'); }, fetchFn: scriptedFetch({}), onUnauthorized: ended });
    await expect(signedOut.get('x')).rejects.toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(ended).toHaveBeenCalledTimes(2);
  });
});
