/**
 * Orders: each tenant's orders, priced from the tenant's own products. Products are read with the caller's
 * tenant id in the key, through the tenant-scoped client: a product id of another tenant is unknown here, and the
 * order is refused (400) rather than priced from someone else's catalogue.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { FastifyInstance } from 'fastify';
import { claimsOf, createServiceApp, REQUEST_TIMEOUT_MS, ServiceAppOptions } from '../common/app';
import { createTenantItem, getTenantItem, ID_PARAMS_SCHEMA, listTenantItems, TenantDocumentClients, TenantDynamo } from '../common/dynamo';
import { badRequest, DependencyUnavailable, RETRY_AFTER_SECONDS } from '../common/errors';
import { idempotentRequest, IdempotentWrites, sendCreated } from '../common/idempotency';
import { LIST_QUERY_SCHEMA, ListQuery } from '../common/pagination';

export interface OrdersDeps extends ServiceAppOptions {
  /** Tenant-scoped DynamoDB clients (TenantScopedDynamo), for both tables. */
  readonly dynamo: TenantDynamo;
  readonly ordersTableName: string;
  readonly productsTableName: string;
  /** The idempotency table (`Idempotency-Key` on POST). */
  readonly idempotencyTableName: string;
  /** Pause between retries of unprocessed BatchGetItem keys (ms); default 50, doubled each time. */
  readonly retryDelayMs?: number;
}

export interface OrderInput {
  readonly lines: ReadonlyArray<{ readonly productId: string; readonly quantity: number }>;
}

export interface OrderLine {
  readonly productId: string;
  readonly name: string;
  readonly unitPrice: number;
  readonly quantity: number;
}

export interface Order {
  readonly tenantId: string;
  readonly id: string;
  readonly lines: OrderLine[];
  /** Sum of unit price × quantity, rounded to cents. */
  readonly total: number;
  readonly status: 'PLACED';
  readonly createdAt: string;
}

export const ORDER_BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['lines'],
  properties: {
    lines: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['productId', 'quantity'],
        properties: {
          productId: { type: 'string', format: 'uuid' },
          quantity: { type: 'integer', minimum: 1, maximum: 1000 },
        },
      },
    },
  },
} as const;

/** BatchGetItem attempts before unprocessed keys make the request fail. */
const BATCH_ATTEMPTS = 5;

/** The orders service. */
export function createOrdersApp(deps: OrdersDeps): FastifyInstance {
  const app = createServiceApp(deps);
  const documents = new TenantDocumentClients(deps.dynamo);
  const idempotency = new IdempotentWrites({ dynamo: deps.dynamo, tableName: deps.idempotencyTableName, requestBudgetMs: REQUEST_TIMEOUT_MS });
  const { ordersTableName, productsTableName } = deps;

  /** The caller's products among `ids`, by id (another tenant's ids are simply absent). */
  const productsOf = async (tenantId: string, ids: string[]): Promise<Map<string, { name: string; price: number }>> => {
    const found = new Map<string, { name: string; price: number }>();
    let keys: Array<Record<string, unknown>> = ids.map((id) => ({ tenantId, id }));
    for (let attempt = 1; keys.length > 0; attempt++) {
      if (attempt > BATCH_ATTEMPTS) {
        // Keys stay unprocessed when the table is out of capacity: throttling, which a client may retry.
        throw new DependencyUnavailable(RETRY_AFTER_SECONDS.throttled, {
          cause: new Error(`BatchGetItem left ${keys.length} keys unprocessed after ${BATCH_ATTEMPTS} attempts`),
        });
      }
      if (attempt > 1) {
        await new Promise((resolve) => setTimeout(resolve, (deps.retryDelayMs ?? 50) * 2 ** (attempt - 2)));
      }
      const result = await documents.for(tenantId).send(new BatchGetCommand({
        RequestItems: {
          [productsTableName]: {
            Keys: keys,
            ProjectionExpression: '#tenantId, #id, #name, #price',
            ExpressionAttributeNames: { '#tenantId': 'tenantId', '#id': 'id', '#name': 'name', '#price': 'price' },
          },
        },
      }));
      for (const item of result.Responses?.[productsTableName] ?? []) {
        // The key named the caller's tenant; checked again so a product of another tenant can never price an order.
        if (item.tenantId === tenantId && typeof item.id === 'string' && typeof item.price === 'number') {
          found.set(item.id, { name: String(item.name), price: item.price });
        }
      }
      keys = result.UnprocessedKeys?.[productsTableName]?.Keys ?? [];
    }
    return found;
  };

  app.get<{ Querystring: ListQuery }>('/orders', { schema: { querystring: LIST_QUERY_SCHEMA } }, async (request) =>
    listTenantItems<Order>(documents, ordersTableName, claimsOf(request).tenantId, request.query));

  app.post<{ Body: OrderInput }>('/orders', { schema: { body: ORDER_BODY_SCHEMA } }, async (request, reply) =>
    sendCreated(reply, await idempotency.run('orders.create', idempotentRequest(request), async (newItem) => {
      const { tenantId } = claimsOf(request);
      const ids = [...new Set(request.body.lines.map((l) => l.productId))];
      const products = await productsOf(tenantId, ids);
      const unknown = ids.filter((id) => !products.has(id));
      if (unknown.length > 0) {
        throw badRequest(`Unknown productId: ${unknown.join(', ')}`);
      }
      const lines: OrderLine[] = request.body.lines.map((l) => {
        const product = products.get(l.productId)!;
        return { productId: l.productId, name: product.name, unitPrice: product.price, quantity: l.quantity };
      });
      const order: Order = {
        tenantId,
        id: newItem.id,
        lines,
        total: Math.round(lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0) * 100) / 100,
        status: 'PLACED',
        createdAt: new Date().toISOString(),
      };
      return createTenantItem(documents, ordersTableName, order, { existingIsOwn: newItem.fromKey });
    })));

  app.get<{ Params: { id: string } }>('/orders/:id', { schema: { params: ID_PARAMS_SCHEMA } }, async (request) => {
    return getTenantItem<Order>(documents, ordersTableName, claimsOf(request).tenantId, request.params.id, 'Order');
  });

  return app;
}
