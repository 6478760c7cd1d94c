/**
 * `Idempotency-Key` on the services' POST routes (docs/service-resilience.md): a client that did not get an answer
 * retries with the same key, and gets the first request's result instead of a second item.
 *
 * The records are kept by Powertools for AWS Lambda's idempotency utility (its DynamoDB persistence layer), which
 * works in a long-running process as well: it needs a DynamoDB client, a table and, for the in-progress window, the
 * time a request may still take. Here:
 *
 * - The records are in the application's `idempotency` table, keyed like every table of the application: the
 *   partition is the caller's tenant (Powertools' `staticPkValue`, written through the tenant-scoped client, so
 *   `dynamodb:LeadingKeys` fences it like any other item), the sort key `<operation>#<hash of the user and the key>`.
 *   A key is the user's own: another user of the tenant sending the same key starts a request of their own.
 * - A record expires after `windowSeconds` (the table's time-to-live attribute, `expiration`); an in-progress record
 *   after the request budget, so a request whose process died does not block its key for the whole window.
 * - Powertools' persistence layer keeps per-call state (its key prefix), so there is one per tenant, client and
 *   operation, never one shared by concurrent requests of different operations or tenants.
 */
import { createHash, randomUUID } from 'crypto';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { claimsOf } from './app';
import { IDEMPOTENCY_EXPIRY_ATTRIBUTE } from './environment';
import { HttpError, isErrorNamed } from './errors';

/** The request header (draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** The answer header that marks a replayed result (the convention of the payment APIs that popularised the key). */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
/** A key: 1 to 255 printable ASCII characters (a UUID is the usual choice). */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** How long a key is remembered by default: 24 hours, as the payment APIs do. */
export const DEFAULT_IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;
/** Seconds a client should wait when its key is held by a request still in progress. */
export const IN_PROGRESS_RETRY_AFTER_SECONDS = 1;

export interface IdempotencyOptions {
  /** Tenant-scoped DynamoDB clients (the runtime helper's `TenantScopedDynamo`). */
  readonly dynamo: { client(tenantId: string): DynamoDBClient };
  /** The idempotency table: partition key `tenantId`, sort key `id`, time-to-live attribute `expiration`. */
  readonly tableName: string;
  /** How long a key is remembered. @default DEFAULT_IDEMPOTENCY_WINDOW_SECONDS */
  readonly windowSeconds?: number;
  /** How long a request may take: its record counts as in progress for that long. */
  readonly requestBudgetMs: number;
}

/** Who asks and with what. The body is compared with the first request's: a different body under the same key is a 422. */
export interface IdempotentRequest {
  readonly tenantId: string;
  readonly username: string;
  /** The raw header value, validated here. */
  readonly key: string | string[] | undefined;
  readonly body: unknown;
}

/** The id a write gives its new item: derived from the key when there is one, so that a re-run writes the same item. */
export interface NewItemId {
  readonly id: string;
  /** True when `id` is derived from an `Idempotency-Key`: an item with it is an earlier request's with the same key. */
  readonly fromKey: boolean;
}

/** A result, and whether it is a replay of an earlier request's. */
export interface IdempotentResult<T> {
  readonly result: T;
  readonly replayed: boolean;
}

type Operation = (payload: { user: string; key: string; body: unknown }) => Promise<{ result: unknown; replayed?: boolean }>;

export class IdempotentWrites {
  private readonly config: IdempotencyConfig;
  private readonly operations = new WeakMap<DynamoDBClient, Map<string, Operation>>();

  constructor(private readonly options: IdempotencyOptions) {
    this.config = new IdempotencyConfig({
      eventKeyJmesPath: '[user, key]',
      payloadValidationJmesPath: 'body',
      expiresAfterSeconds: options.windowSeconds ?? DEFAULT_IDEMPOTENCY_WINDOW_SECONDS,
      // A replayed result says so (Powertools calls the hook only with a stored result).
      responseHook: (response) => ({ ...(response as object), replayed: true }),
      // What Powertools reads from a Lambda context: the time the request may still take. A service has no Lambda
      // context; every request has the same budget, so the record is in progress for that long at most.
      lambdaContext: { getRemainingTimeInMillis: () => options.requestBudgetMs } as never,
    });
  }

  /**
   * Runs `write` once per (tenant, user, key) within the window, or, without a key, just runs it. `operation` names
   * the route (`products.create`): the same key on two routes is two requests.
   */
  public async run<T>(operation: string, request: IdempotentRequest, write: (newItem: NewItemId) => Promise<T>): Promise<IdempotentResult<T>> {
    if (request.key === undefined) {
      return { result: await write({ id: randomUUID(), fromKey: false }), replayed: false };
    }
    if (typeof request.key !== 'string' || !KEY_PATTERN.test(request.key)) {
      throw new HttpError(400, 'Idempotency-Key must be one header of 1 to 255 printable ASCII characters');
    }
    const idempotent = this.operation(request.tenantId, operation);
    const newItem = { id: keyedUuid(request.tenantId, request.username, operation, request.key), fromKey: true };
    const pending = { write: () => write(newItem) };
    try {
      const answer = await idempotent.call(pending, { user: request.username, key: request.key, body: request.body });
      return { result: answer.result as T, replayed: answer.replayed === true };
    } catch (e) {
      throw clientError(e) ?? e;
    }
  }

  private operation(tenantId: string, name: string): Operation {
    const client = this.options.dynamo.client(tenantId);
    let byName = this.operations.get(client);
    if (!byName) {
      byName = new Map();
      this.operations.set(client, byName);
    }
    // By tenant too, not only by client: a client may serve several tenants (a test's, or a future helper's), and
    // the persistence layer is bound to its tenant's partition.
    const cacheKey = `${tenantId}\u0000${name}`;
    let operation = byName.get(cacheKey);
    if (!operation) {
      const persistenceStore = new DynamoDBPersistenceLayer({
        tableName: this.options.tableName,
        awsSdkV3Client: client,
        keyAttr: 'tenantId',
        staticPkValue: tenantId,
        sortKeyAttr: 'id',
        expiryAttr: IDEMPOTENCY_EXPIRY_ATTRIBUTE,
      });
      // `this` is the call's own `{ write }`: the function Powertools wraps is shared by concurrent requests.
      operation = makeIdempotent(async function (this: { write: () => Promise<unknown> }) {
        return { result: await this.write() };
      }, { persistenceStore, config: this.config, keyPrefix: name }) as Operation;
      byName.set(cacheKey, operation);
    }
    return operation;
  }
}

/**
 * A UUID named by the request's tenant, user, operation and key: version 8 (RFC 9562's custom version) over SHA-256,
 * as RFC 9562 Appendix B.2 shows for name-based ids. The same request always names the same item.
 */
export function keyedUuid(tenantId: string, username: string, operation: string, key: string): string {
  const hex = createHash('sha256').update(JSON.stringify([tenantId, username, operation, key])).digest('hex').slice(0, 32);
  // Version 8 in the 13th hex digit; the variant (binary 10) in the top bits of the 17th: 8, 9, a or b.
  const variant = '89ab'[parseInt(hex[16], 16) % 4];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** What Powertools' errors tell the client; undefined for failures of the write or of DynamoDB (500 or 503). */
function clientError(error: unknown): HttpError | undefined {
  if (isErrorNamed(error, 'IdempotencyValidationError')) {
    return new HttpError(422, 'Idempotency-Key was already used with a different request body');
  }
  if (isErrorNamed(error, 'IdempotencyAlreadyInProgressError')) {
    return new HttpError(409, 'A request with this Idempotency-Key is in progress: retry later', { 'retry-after': String(IN_PROGRESS_RETRY_AFTER_SECONDS) });
  }
  return undefined;
}

/** The idempotent request a route's caller makes: its tenant and user, its `Idempotency-Key` and its body. */
export function idempotentRequest(request: FastifyRequest): IdempotentRequest {
  const { tenantId, username } = claimsOf(request);
  return { tenantId, username, key: request.headers[IDEMPOTENCY_KEY_HEADER], body: request.body };
}

/** 201 with the created item; a replay says so in `Idempotent-Replayed`. */
export function sendCreated<T>(reply: FastifyReply, outcome: IdempotentResult<T>): FastifyReply {
  if (outcome.replayed) {
    void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  }
  return reply.code(201).send(outcome.result);
}
