/**
 * Products: each tenant's product catalogue, in a table keyed by `tenantId` (partition) and `id` (sort). Every
 * read and write names the caller's tenant (from the verified token) in the key, through a DynamoDB client scoped
 * to that tenant, so another tenant's product is simply not found.
 */
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FastifyInstance } from 'fastify';
import { claimsOf, createServiceApp, REQUEST_TIMEOUT_MS, ServiceAppOptions } from '../common/app';
import { createTenantItem, getTenantItem, ID_PARAMS_SCHEMA, isOwnRetryConflict, listTenantItems, TenantDocumentClients, TenantDynamo } from '../common/dynamo';
import { isErrorNamed, notFound } from '../common/errors';
import { idempotentRequest, IdempotentWrites, sendCreated } from '../common/idempotency';
import { LIST_QUERY_SCHEMA, ListQuery } from '../common/pagination';
import { lineSchema, moneySchema, textSchema } from '../common/validation';

export interface ProductsDeps extends ServiceAppOptions {
  /** Tenant-scoped DynamoDB clients (TenantScopedDynamo). */
  readonly dynamo: TenantDynamo;
  /** The products table. */
  readonly tableName: string;
  /** The idempotency table (`Idempotency-Key` on POST). */
  readonly idempotencyTableName: string;
}

/** What a client sends to create or replace a product. */
export interface ProductInput {
  readonly name: string;
  readonly price: number;
  readonly sku?: string;
  readonly description?: string;
}

/** A stored product. */
export interface Product extends ProductInput {
  readonly tenantId: string;
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const PRODUCT_BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'price'],
  properties: {
    name: lineSchema(200),
    price: moneySchema(1_000_000),
    sku: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    description: textSchema(2000),
  },
} as const;

/** The products service. */
export function createProductsApp(deps: ProductsDeps): FastifyInstance {
  const app = createServiceApp(deps);
  const documents = new TenantDocumentClients(deps.dynamo);
  const TableName = deps.tableName;
  const idempotency = new IdempotentWrites({ dynamo: deps.dynamo, tableName: deps.idempotencyTableName, requestBudgetMs: REQUEST_TIMEOUT_MS });

  app.get<{ Querystring: ListQuery }>('/products', { schema: { querystring: LIST_QUERY_SCHEMA } }, async (request) =>
    listTenantItems<Product>(documents, TableName, claimsOf(request).tenantId, request.query));

  app.post<{ Body: ProductInput }>('/products', { schema: { body: PRODUCT_BODY_SCHEMA } }, async (request, reply) =>
    sendCreated(reply, await idempotency.run('products.create', idempotentRequest(request), async (newItem) => {
      const { tenantId } = claimsOf(request);
      const now = new Date().toISOString();
      const { name, price, sku, description } = request.body;
      const product: Product = {
        tenantId,
        id: newItem.id,
        name,
        price,
        ...(sku !== undefined ? { sku } : {}),
        ...(description !== undefined ? { description } : {}),
        createdAt: now,
        updatedAt: now,
      };
      return createTenantItem(documents, TableName, product, { existingIsOwn: newItem.fromKey });
    })));

  app.get<{ Params: { id: string } }>('/products/:id', { schema: { params: ID_PARAMS_SCHEMA } }, async (request) => {
    return getTenantItem<Product>(documents, TableName, claimsOf(request).tenantId, request.params.id, 'Product');
  });

  app.put<{ Params: { id: string }; Body: ProductInput }>(
    '/products/:id',
    { schema: { params: ID_PARAMS_SCHEMA, body: PRODUCT_BODY_SCHEMA } },
    async (request) => {
      const { tenantId } = claimsOf(request);
      const { name, price, sku, description } = request.body;
      const names: Record<string, string> = { '#id': 'id', '#name': 'name', '#price': 'price', '#updatedAt': 'updatedAt' };
      const values: Record<string, unknown> = { ':name': name, ':price': price, ':now': new Date().toISOString() };
      const set = ['#name = :name', '#price = :price', '#updatedAt = :now'];
      const remove: string[] = [];
      // PUT replaces the product: an optional field left out is removed.
      for (const [field, value] of Object.entries({ sku, description })) {
        names[`#${field}`] = field;
        if (value === undefined) {
          remove.push(`#${field}`);
        } else {
          set.push(`#${field} = :${field}`);
          values[`:${field}`] = value;
        }
      }
      try {
        const result = await documents.for(tenantId).send(new UpdateCommand({
          TableName,
          Key: { tenantId, id: request.params.id },
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          // Only an existing product of the caller's tenant: an update must never create an item.
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }));
        return result.Attributes as Product;
      } catch (e) {
        if (isErrorNamed(e, 'ConditionalCheckFailedException')) {
          throw notFound('Product');
        }
        throw e;
      }
    },
  );

  app.delete<{ Params: { id: string } }>('/products/:id', { schema: { params: ID_PARAMS_SCHEMA } }, async (request, reply) => {
    const { tenantId } = claimsOf(request);
    try {
      await documents.for(tenantId).send(new DeleteCommand({
        TableName,
        Key: { tenantId, id: request.params.id },
        ConditionExpression: 'attribute_exists(#id)',
        ExpressionAttributeNames: { '#id': 'id' },
      }));
    } catch (e) {
      // A retry that finds the product gone, after an attempt whose answer was lost: this request deleted it.
      if (isOwnRetryConflict(e)) {
        return reply.code(204).send();
      }
      if (isErrorNamed(e, 'ConditionalCheckFailedException')) {
        throw notFound('Product');
      }
      throw e;
    }
    return reply.code(204).send();
  });

  return app;
}
