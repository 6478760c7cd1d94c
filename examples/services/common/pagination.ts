/**
 * Pagination of tenant-scoped lists: `?limit` and an opaque `nextToken`.
 *
 * A DynamoDB token carries only the last item's `id`: the start key is rebuilt with the caller's tenant id, so a
 * token cannot move a query into another tenant's partition, whatever the client puts in it.
 */
import { badRequest } from './errors';

export interface ListQuery {
  readonly limit?: string;
  readonly nextToken?: string;
}

/** Query-string schema for list routes (values are strings: the body validator does not coerce types). */
export const LIST_QUERY_SCHEMA = {
  type: 'object',
  properties: {
    limit: { type: 'string', maxLength: 3 },
    nextToken: { type: 'string', minLength: 1, maxLength: 4096 },
  },
} as const;

/** The page size from `?limit`: a whole number from 1 to `max`; `fallback` when absent. */
export function pageSize(query: ListQuery, max: number, fallback: number): number {
  if (query.limit === undefined) {
    return fallback;
  }
  const n = /^[0-9]{1,3}$/.test(query.limit) ? Number(query.limit) : NaN;
  if (!(n >= 1 && n <= max)) {
    throw badRequest(`limit must be a whole number from 1 to ${max}`);
  }
  return n;
}

/** The token for the page after the one that ended at `lastKey` (undefined at the end). */
export function encodeItemToken(lastKey: Record<string, unknown> | undefined): string | undefined {
  if (!lastKey || typeof lastKey.id !== 'string') {
    return undefined;
  }
  return Buffer.from(JSON.stringify({ id: lastKey.id })).toString('base64url');
}

/** The start key for `tenantId` from a token made by encodeItemToken; 400 for anything else. */
export function decodeItemToken(token: string | undefined, tenantId: string): Record<string, string> | undefined {
  if (token === undefined) {
    return undefined;
  }
  let id: unknown;
  try {
    id = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { id?: unknown }).id;
  } catch {
    id = undefined;
  }
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) {
    throw badRequest('nextToken is invalid');
  }
  return { tenantId, id };
}

/** Wraps a token of another API (Cognito's) so it is URL-safe and opaque. */
export function wrapToken(token: string | undefined): string | undefined {
  return token ? Buffer.from(token, 'utf8').toString('base64url') : undefined;
}

/** Reverses wrapToken. */
export function unwrapToken(token: string | undefined): string | undefined {
  if (token === undefined) {
    return undefined;
  }
  const raw = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (raw.length === 0) {
    throw badRequest('nextToken is invalid');
  }
  return raw;
}

/** UUIDs, as items' ids are made. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
