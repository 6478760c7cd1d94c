/**
 * Configuration from the environment the CDK app sets on each container. Problems are collected and reported
 * together, so a misconfigured task fails at start-up with one clear message instead of on the first request.
 */
import { IDENTITY_ENV } from './environment';
import { cognitoIssuerUrl, TENANT_ID_PATTERN, TENANT_ID_RULE } from '../../../src/runtime';

export type Env = Record<string, string | undefined>;

/** The configuration cannot start the service. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** What every service reads. */
export interface ServiceConfig {
  /** `POWERTOOLS_SERVICE_NAME`, default the service's own name: the `service` key of logs and the metric dimension. */
  readonly serviceName: string;
  /** `PORT`. */
  readonly port: number;
  /** `POWERTOOLS_METRICS_NAMESPACE`, default `EcsSaas`. */
  readonly metricsNamespace: string;
  /** `AWS_REGION` (the SDK reads it too); undefined lets the SDK decide. */
  readonly region?: string;
  /** `USER_POOL_ID`: the Cognito user pool whose id tokens the service trusts. */
  readonly userPoolId: string;
  /** `APP_CLIENT_IDS` (comma-separated): the app clients whose id tokens are accepted. */
  readonly appClientIds: string[];
  /** `TOKEN_ISSUER`: the issuer whose id tokens are trusted; default the user pool's (`USER_POOL_ID`). */
  readonly tokenIssuer: string;
  /** `JWKS_URI`: where the issuer's signing keys are; default its well-known JWKS. */
  readonly jwksUri?: string;
  /** `TENANT_ID`: set for a silo service, dedicated to one tenant; tokens of any other tenant are refused (403). */
  readonly tenantId?: string;
  /** `TIER_NAME`: the tier this deployment belongs to (logged when a request carries no tier). */
  readonly tierName?: string;
}

/** `<region>_<id>`, as Cognito names user pools. */
const USER_POOL_ID = /^[a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+$/;
/** Cognito app client ids. */
const CLIENT_ID = /^[\w+]{1,128}$/;
/** Audiences of another issuer: any non-blank value without whitespace or commas. */
const AUDIENCE = /^[^\s,]{1,256}$/;
/** An https URL without query or fragment. */
const HTTPS_URL = /^https:\/\/[^\s?#]+$/;
/** DynamoDB table names. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** Reads variables and collects what is wrong with them. */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env, private readonly service: string) {}

  /** A variable that must be set (non-blank); `purpose` explains it in the error. */
  public required(name: string, purpose: string): string {
    const value = this.optional(name);
    if (value === undefined) {
      this.problems.push(`${name} is not set (${purpose})`);
      return '';
    }
    return value;
  }

  /** A variable that may be unset; blank counts as unset. */
  public optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  /** Records a problem found by the caller. */
  public problem(message: string): void {
    this.problems.push(message);
  }

  /** A DynamoDB table name. */
  public tableName(name: string, purpose: string): string {
    const value = this.required(name, purpose);
    if (value && !TABLE_NAME.test(value)) {
      this.problem(`${name} must be a DynamoDB table name; got '${value}'`);
    }
    return value;
  }

  /** `true` or `false`, nothing else. */
  public boolean(name: string, purpose: string): boolean {
    const value = this.required(name, purpose);
    if (value && value !== 'true' && value !== 'false') {
      this.problem(`${name} must be 'true' or 'false'; got '${value}'`);
    }
    return value === 'true';
  }

  /** Throws one ConfigError naming every problem found, if any. */
  public finish(): void {
    if (this.problems.length > 0) {
      throw new ConfigError(`The ${this.service} service cannot start: ${this.problems.join('; ')}.`);
    }
  }
}

/** Reads the variables every service shares. Call `reader.finish()` once the service's own ones are read too. */
export function readServiceConfig(reader: EnvReader, defaults: { readonly serviceName: string; readonly port: number }): ServiceConfig {
  const portText = reader.optional('PORT');
  const port = portText === undefined ? defaults.port : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    reader.problem(`PORT must be a whole number from 1 to 65535; got '${portText}'`);
  }
  const userPoolId = reader.required(IDENTITY_ENV.userPoolId, 'the id of the Cognito user pool whose id tokens this service trusts, such as us-east-1_AbC123');
  if (userPoolId && !USER_POOL_ID.test(userPoolId)) {
    reader.problem(`${IDENTITY_ENV.userPoolId} must look like <region>_<id>, such as us-east-1_AbC123; got '${userPoolId}'`);
  }
  const issuerText = reader.optional(IDENTITY_ENV.tokenIssuer);
  const jwksUri = reader.optional(IDENTITY_ENV.jwksUri);
  for (const [name, value] of [[IDENTITY_ENV.tokenIssuer, issuerText], [IDENTITY_ENV.jwksUri, jwksUri]] as const) {
    if (value !== undefined && !HTTPS_URL.test(value)) {
      reader.problem(`${name} must be an https URL without query or fragment; got '${value}'`);
    }
  }
  const tokenIssuer = issuerText?.replace(/\/$/, '') ?? (userPoolId ? cognitoIssuerUrl(userPoolId) : '');
  const clientIdsText = reader.required(IDENTITY_ENV.appClientIds, 'comma-separated ids of the app clients (audiences) whose id tokens this service accepts');
  const appClientIds = clientIdsText.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (clientIdsText && appClientIds.length === 0) {
    reader.problem(`${IDENTITY_ENV.appClientIds} names no app client`);
  }
  // A Cognito pool's audiences are its app client ids; another issuer's may be any token without spaces or commas.
  const [audience, what] = issuerText === undefined ? [CLIENT_ID, 'a Cognito app client id'] : [AUDIENCE, 'an audience'];
  for (const id of appClientIds.filter((c) => !audience.test(c))) {
    reader.problem(`${IDENTITY_ENV.appClientIds} holds '${id}', which is not ${what}`);
  }
  const tenantId = reader.optional('TENANT_ID');
  if (tenantId !== undefined && !TENANT_ID_PATTERN.test(tenantId)) {
    reader.problem(`TENANT_ID must be ${TENANT_ID_RULE}; got '${tenantId}'`);
  }
  return {
    serviceName: reader.optional('POWERTOOLS_SERVICE_NAME') ?? defaults.serviceName,
    port,
    metricsNamespace: reader.optional('POWERTOOLS_METRICS_NAMESPACE') ?? 'EcsSaas',
    region: reader.optional('AWS_REGION'),
    userPoolId,
    appClientIds,
    tokenIssuer,
    jwksUri,
    tenantId,
    tierName: reader.optional('TIER_NAME'),
  };
}
