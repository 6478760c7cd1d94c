/**
 * Shared set-up of the example services' tests: test telemetry (stdout captured, parsed into log lines and EMF
 * lines) and tenant-scoped DynamoDB access against dynalite.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTelemetry, Telemetry } from '../../examples/services/common/telemetry';

// Fastify's inject() loads light-my-request, which requires `cookie` 2: an ES module, which Jest's CommonJS runtime
// cannot require on Node 20 (Jest supports require(esm) from Node 24.9). light-my-request uses only
// stringifySetCookie, to encode the `cookies` option of inject(), which these tests do not use; this stands in for it.
jest.mock('cookie', () => ({
  stringifySetCookie: (c: { name: string; value: string }) => `${c.name}=${encodeURIComponent(c.value)}`,
}));

/** Everything written to stdout and stderr while capturing, as parsed JSON lines (Powertools logs errors to stderr). */
export class OutputCapture {
  public readonly lines: Array<Record<string, any>> = [];
  private readonly spies: jest.SpyInstance[] = [];

  /** Starts capturing (and silencing) stdout and stderr. */
  public start(): this {
    for (const stream of [process.stdout, process.stderr]) {
      this.spies.push(jest.spyOn(stream, 'write').mockImplementation((chunk: any) => {
        for (const line of String(chunk).split('\n').filter((l) => l.trim().length > 0)) {
          try {
            this.lines.push(JSON.parse(line));
          } catch {
            this.lines.push({ unparsed: line });
          }
        }
        return true;
      }));
    }
    return this;
  }

  public stop(): void {
    this.spies.forEach((s) => s.mockRestore());
    this.spies.length = 0;
  }

  public clear(): void {
    this.lines.length = 0;
  }

  /** Log lines (Powertools Logger). */
  public get logs(): Array<Record<string, any>> {
    return this.lines.filter((l) => typeof l.level === 'string');
  }

  /** EMF lines (Powertools Metrics). */
  public get metrics(): Array<Record<string, any>> {
    return this.lines.filter((l) => l._aws !== undefined);
  }
}

/** Telemetry as the services create it, named for a test service. */
export function testTelemetry(serviceName: string): Telemetry {
  return createTelemetry({ serviceName, metricsNamespace: 'EcsSaasTest' });
}

/**
 * Tenant-scoped DynamoDB access for tests: hands out the dynalite client and records which tenant each request
 * asked for (the services must ask for the token's tenant only).
 */
export class RecordingDynamo {
  public readonly tenants: string[] = [];
  constructor(private readonly dynamo: DynamoDBClient) {}

  public client(tenantId: string): DynamoDBClient {
    this.tenants.push(tenantId);
    return this.dynamo;
  }
}
