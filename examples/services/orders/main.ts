/**
 * The orders service's process: `node index.js` in its container (bundled by `bundle:services`).
 */
import { createOrdersApp } from './app';
import { loadOrdersConfig } from './config';
import { TenantScopedDynamo } from '../../../src/runtime';
import { productionVerifier, runService } from '../common/server';

void runService(loadOrdersConfig, (config, telemetry) => createOrdersApp({
  ...telemetry,
  verifier: productionVerifier(config, telemetry.logger),
  siloTenantId: config.tenantId,
  tierName: config.tierName,
  dynamo: TenantScopedDynamo.fromEnvironment(),
  ordersTableName: config.ordersTableName,
  productsTableName: config.productsTableName,
  idempotencyTableName: config.idempotencyTableName,
}));
