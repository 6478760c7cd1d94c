import { Env, EnvReader, readServiceConfig, ServiceConfig } from '../common/config';
import { IDENTITY_ENV } from '../common/environment';

export interface UsersConfig extends ServiceConfig {
  /** `USER_POOL_SHARED`: the pool holds many tenants (users are found through the tenant's group). */
  readonly sharedPool: boolean;
}

/** The users service's configuration; throws a ConfigError naming every missing or invalid variable. */
export function loadUsersConfig(env: Env): UsersConfig {
  const reader = new EnvReader(env, 'users');
  const common = readServiceConfig(reader, { serviceName: 'users', port: 3030 });
  const sharedPool = reader.boolean(IDENTITY_ENV.userPoolShared, "'true' when the user pool holds many tenants, 'false' for a tenant's own pool");
  reader.finish();
  return { ...common, sharedPool };
}
