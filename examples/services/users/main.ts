/**
 * The users service's process: `node index.js` in its container (bundled by `bundle:services`).
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createUsersApp } from './app';
import { loadUsersConfig } from './config';
import { SDK_REQUEST_HANDLER } from '../common/aws';
import { productionVerifier, runService } from '../common/server';

void runService(loadUsersConfig, (config, telemetry) => createUsersApp({
  ...telemetry,
  verifier: productionVerifier(config, telemetry.logger),
  siloTenantId: config.tenantId,
  tierName: config.tierName,
  cognito: new CognitoIdentityProviderClient({ requestHandler: SDK_REQUEST_HANDLER }),
  userPoolId: config.userPoolId,
  sharedPool: config.sharedPool,
}));
