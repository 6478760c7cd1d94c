/**
 * The products service's process: `node index.js` in its container (bundled by `bundle:services`).
 */
import { createProductsApp } from './app';
import { loadProductsConfig } from './config';
import { TenantScopedDynamo } from '../../../src/runtime';
import { productionVerifier, runService } from '../common/server';

void runService(loadProductsConfig, (config, telemetry) => createProductsApp({
  ...telemetry,
  verifier: productionVerifier(config, telemetry.logger),
  siloTenantId: config.tenantId,
  tierName: config.tierName,
  dynamo: TenantScopedDynamo.fromEnvironment(),
  tableName: config.productsTableName,
  idempotencyTableName: config.idempotencyTableName,
}));
