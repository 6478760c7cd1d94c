/**
 * Entry point of the tenant router's Lambda authorizer (bundled by `bundle:router` into assets/router-authorizer).
 *
 * Configuration comes from the environment, written by TenantRouter at synth time:
 * - `AUTHORIZER_CONFIG`: JSON `AuthorizerConfig` (issuers, claims, tiers, role rules);
 * - `TIER_API_KEYS`: JSON map tier name → API key id of the tier's usage plan;
 * - `TENANT_KEY_MARKER`: value of the `cdk-ecs-saas:router` tag on per-tenant API keys of this router;
 * - `ISSUER_REGISTRY_TABLE`, `SUSPENSION_TABLE`: the router's issuer registry and table of suspended tenants, if any.
 *
 * Not part of the jsii API.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { APIGatewayClient, GetApiKeyCommand, GetApiKeysCommand } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ApiKeyCache } from './api-keys';
import { ApiKeyLookup, AuthorizerEvent, createAuthorizer } from './authorizer';
import { DynamicIssuers } from './issuers';
import {
  ENV_AUTHORIZER_CONFIG,
  ENV_ISSUER_REGISTRY_TABLE,
  ENV_SUSPENSION_TABLE,
  ENV_TENANT_KEY_MARKER,
  ENV_TIER_API_KEYS,
} from '../../contract/environment';
import { API_KEY_MARKER_TAG, AuthorizerConfig } from '../../contract/router';

const logger = new Logger({ serviceName: 'tenant-router-authorizer' });
const config = JSON.parse(process.env[ENV_AUTHORIZER_CONFIG] ?? '{}') as AuthorizerConfig;
const tierKeyIds = JSON.parse(process.env[ENV_TIER_API_KEYS] ?? '{}') as Record<string, string>;
const marker = process.env[ENV_TENANT_KEY_MARKER] ?? '';
const client = new APIGatewayClient({});

/** The value of a tenant's key: customer id = tenant id, enabled, and marked for this router. */
export async function findTenantKey(tenantId: string): Promise<string | undefined> {
  const page = await client.send(new GetApiKeysCommand({ customerId: tenantId, includeValues: true, limit: 25 }));
  // The customer id again: a filter API Gateway applies, but a stand-in may not (moto lists every key).
  return page.items?.find((k) => k.enabled && k.customerId === tenantId && k.tags?.[API_KEY_MARKER_TAG] === marker)?.value;
}

const keys = new ApiKeyCache({
  tierKeyIds,
  perTenantTiers: new Set(Object.entries(config.tiers ?? {}).filter(([, t]) => t.apiKeyPerTenant).map(([name]) => name)),
  getKey: async (id) => (await client.send(new GetApiKeyCommand({ apiKey: id, includeValue: true }))).value,
  findTenantKey,
});

const lookup: ApiKeyLookup = (tier, tenantId) => keys.keyFor(tier, tenantId);

/** Tenants' own user pools, registered by the tenant lifecycle (when the router has an issuer registry). */
const registryTable = process.env[ENV_ISSUER_REGISTRY_TABLE];
const dynamodb = registryTable ? new DynamoDBClient({}) : undefined;
export async function registeredIssuer(issuer: string) {
  const item = (await dynamodb!.send(new GetItemCommand({ TableName: registryTable, Key: { issuer: { S: issuer } }, ConsistentRead: true }))).Item;
  return item ? { tenantId: item.tenantId.S!, clientIds: item.clientIds?.SS ?? [] } : undefined;
}
const dynamic = registryTable ? new DynamicIssuers(registeredIssuer) : undefined;

/** Suspended tenants, written by the tenant lifecycle (when the router keeps the table). */
const suspensionTable = process.env[ENV_SUSPENSION_TABLE];
const suspensionClient = suspensionTable ? dynamodb ?? new DynamoDBClient({}) : undefined;
export async function isSuspended(tenantId: string): Promise<boolean> {
  const key = { tenantId: { S: tenantId } };
  const item = (await suspensionClient!.send(new GetItemCommand({ TableName: suspensionTable, Key: key, ConsistentRead: true }))).Item;
  return item !== undefined;
}

const authorize = createAuthorizer(config, lookup, undefined, (message, details) => logger.info(message, details), dynamic, undefined,
  suspensionTable ? isSuspended : undefined);

export const handler = async (event: AuthorizerEvent) => authorize(event);
