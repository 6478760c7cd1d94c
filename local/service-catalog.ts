/**
 * Service Catalog, stood in for locally (moto does not provision products): the provisioning calls the tenant
 * lifecycle makes, answered the way Service Catalog answers them, with each product's template from the assembly
 * deployed into the emulator like any stack (local/deployment.ts).
 *
 * - ProvisionProduct deploys the product's template (the file its LoadTemplateFromURL names) with the request's
 *   parameters, once per provisioned product name and provision token; a product name in use is refused. A product
 *   whose provisioning failed stays, created nothing, and must be terminated, as in Service Catalog.
 * - DescribeRecord answers IN_PROGRESS on the first look, then SUCCEEDED with the template's outputs (or FAILED with
 *   the errors of a failure injected with `failNext`), so callers that wait go through their wait.
 * - TerminateProvisionedProduct deletes what the product created; an unknown name is ResourceNotFoundException.
 * - UpdateProvisionedProduct records the new version (parameters kept).
 * Every call has passed the IAM gate before it gets here.
 */
import { randomBytes } from 'crypto';
import { AwsCall } from './aws-requests';
import { LocalDeployment, StackDeployment } from './deployment';

/** An answer of a stood-in service: an HTTP status and a JSON body (or an error). */
export interface ServiceAnswer {
  readonly status: number;
  /** A JSON body (JSON protocols). */
  readonly body?: unknown;
  /** An XML body (query protocols). */
  readonly xml?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

interface Product {
  readonly productId: string;
  readonly templateFile: string;
  readonly versions: string[];
}

interface Provisioned {
  /** Settles when its stack's creation has ended. */
  readonly creation?: Promise<void>;
  readonly name: string;
  readonly productId: string;
  version: string;
  readonly parameters: Record<string, string>;
  readonly stack: StackDeployment;
  readonly token: string;
}

interface ProvisioningRecord {
  readonly id: string;
  readonly type: 'PROVISION_PRODUCT' | 'TERMINATE_PROVISIONED_PRODUCT' | 'UPDATE_PROVISIONED_PRODUCT';
  readonly provisionedProductName: string;
  looks: number;
  failure?: string;
  outputs: Record<string, string>;
  /** Settles when the product's stack is created (or has failed). */
  completion?: Promise<void>;
}

export class ServiceCatalogStandIn {
  /** Every call answered, in order: `<Operation> <provisioned product name>`. */
  public readonly calls: string[] = [];
  private products?: Map<string, Product>;
  private readonly provisioned = new Map<string, Provisioned>();
  private readonly records = new Map<string, ProvisioningRecord>();
  private readonly tokens = new Map<string, string>();
  private readonly failures: string[] = [];

  /**
   * What else creating and deleting a product's stack does locally (`LocalSaas` starts and stops its ECS services):
   * `created` runs after the emulated resources are created, and a failure of it fails the provisioning as a failed
   * stack would; `deleting` runs before they are deleted.
   */
  public readonly stackHooks: Array<{ created(stack: StackDeployment): Promise<void>; deleting(stack: StackDeployment): Promise<void> }> = [];

  constructor(private readonly deployment: LocalDeployment) {}

  /** Waits until every product's stack creation that has started has ended (before the environment stops). */
  public async settle(): Promise<void> {
    await Promise.allSettled([...this.records.values()].map((r) => r.completion));
  }

  /** The next provisioning (or update) fails with this error, as a failed stack would. */
  public failNext(message: string): void {
    this.failures.push(message);
  }

  /** The provisioned products by name, with their version and parameters. */
  public get provisionedProducts(): Array<{ name: string; version: string; parameters: Record<string, string> }> {
    return [...this.provisioned.values()].map((p) => ({ name: p.name, version: p.version, parameters: p.parameters }));
  }

  /** The stack of a provisioned product, by its name (undefined when there is none). */
  public stackOf(name: string): StackDeployment | undefined {
    return this.provisioned.get(name)?.stack;
  }

  public async handle(call: AwsCall): Promise<ServiceAnswer> {
    const p = call.params;
    switch (call.operation) {
      case 'ProvisionProduct':
        return this.provision(p);
      case 'DescribeRecord':
        return this.describe(p.Id);
      case 'TerminateProvisionedProduct':
        return this.terminate(p);
      case 'UpdateProvisionedProduct':
        return this.update(p);
      default:
        return { status: 400, error: { code: 'InvalidParametersException', message: `the local Service Catalog does not answer ${call.operation}` } };
    }
  }

  private async provision(p: any): Promise<ServiceAnswer> {
    this.calls.push(`ProvisionProduct ${p.ProvisionedProductName}`);
    const idempotent = this.tokens.get(`provision:${p.ProvisionToken}`);
    if (idempotent) {
      return this.recordAnswer(this.records.get(idempotent)!);
    }
    const product = (await this.productMap()).get(p.ProductId);
    if (!product) {
      return { status: 400, error: { code: 'ResourceNotFoundException', message: `Product ${p.ProductId} not found` } };
    }
    if (!product.versions.includes(p.ProvisioningArtifactName)) {
      return { status: 400, error: { code: 'InvalidParametersException', message: `Product ${p.ProductId} has no version ${p.ProvisioningArtifactName}` } };
    }
    if (this.provisioned.has(p.ProvisionedProductName)) {
      return { status: 400, error: { code: 'DuplicateResourceException', message: `Provisioned product ${p.ProvisionedProductName} already exists` } };
    }
    const parameters = Object.fromEntries((p.ProvisioningParameters ?? []).map((x: any) => [x.Key, x.Value]));
    const stack = this.deployment.templateStack(p.ProvisionedProductName, this.deployment.assembly.templateFile(product.templateFile), parameters);
    const record = this.newRecord('PROVISION_PRODUCT', p.ProvisionedProductName, this.failures.shift());
    // The stack is created after the call answers, as Service Catalog creates it.
    record.completion = (async () => {
      if (record.failure) {
        return;
      }
      try {
        await stack.deployAll();
        for (const hook of this.stackHooks) {
          await hook.created(stack);
        }
        for (const id of Object.keys(stack.template.Outputs ?? {})) {
          record.outputs[id] = String(await stack.output(id));
        }
      } catch (e) {
        // The stack rolls back: what it created is deleted, the product stays in ERROR.
        record.failure = `The stack failed to create: ${e instanceof Error ? e.message : String(e)}`.slice(0, 2000);
        for (const hook of this.stackHooks) {
          await hook.deleting(stack).catch(() => undefined);
        }
        await stack.deleteAll().catch(() => undefined);
      }
    })();
    // A product whose stack failed (and rolled back) still exists, in ERROR, until it is terminated.
    this.provisioned.set(p.ProvisionedProductName, {
      creation: record.completion,
      name: p.ProvisionedProductName,
      productId: p.ProductId,
      version: p.ProvisioningArtifactName,
      parameters,
      stack,
      token: p.ProvisionToken,
    });
    this.tokens.set(`provision:${p.ProvisionToken}`, record.id);
    return this.recordAnswer(record);
  }

  /** The answer to a request already made with this idempotency token, as Service Catalog gives it again. */
  private replay(token: string): ServiceAnswer | undefined {
    const id = this.tokens.get(token);
    return id ? this.recordAnswer(this.records.get(id)!) : undefined;
  }

  private async terminate(p: any): Promise<ServiceAnswer> {
    this.calls.push(`TerminateProvisionedProduct ${p.ProvisionedProductName}`);
    const replayed = this.replay(`terminate:${p.TerminateToken}`);
    if (replayed) {
      return replayed;
    }
    const provisioned = this.provisioned.get(p.ProvisionedProductName);
    if (!provisioned) {
      return notFound(p.ProvisionedProductName);
    }
    // A stack still being created is deleted once its creation has ended, as CloudFormation deletes it.
    await provisioned.creation;
    for (const hook of this.stackHooks) {
      await hook.deleting(provisioned.stack);
    }
    await provisioned.stack.deleteAll();
    this.provisioned.delete(p.ProvisionedProductName);
    const record = this.newRecord('TERMINATE_PROVISIONED_PRODUCT', p.ProvisionedProductName);
    this.tokens.set(`terminate:${p.TerminateToken}`, record.id);
    return this.recordAnswer(record);
  }

  private async update(p: any): Promise<ServiceAnswer> {
    this.calls.push(`UpdateProvisionedProduct ${p.ProvisionedProductName}`);
    const replayed = this.replay(`update:${p.UpdateToken}`);
    if (replayed) {
      return replayed;
    }
    const provisioned = this.provisioned.get(p.ProvisionedProductName);
    if (!provisioned) {
      return notFound(p.ProvisionedProductName);
    }
    const product = (await this.productMap()).get(p.ProductId ?? provisioned.productId);
    if (!product?.versions.includes(p.ProvisioningArtifactName)) {
      return { status: 400, error: { code: 'InvalidParametersException', message: `Product ${p.ProductId} has no version ${p.ProvisioningArtifactName}` } };
    }
    const kept = (p.ProvisioningParameters ?? []).every((x: any) => x.UsePreviousValue === true && x.Key in provisioned.parameters);
    if (!kept) {
      return { status: 400, error: { code: 'InvalidParametersException', message: 'the local Service Catalog only updates with every parameter kept' } };
    }
    const failure = this.failures.shift();
    if (!failure) {
      provisioned.version = p.ProvisioningArtifactName;
    }
    const record = this.newRecord('UPDATE_PROVISIONED_PRODUCT', p.ProvisionedProductName, failure);
    this.tokens.set(`update:${p.UpdateToken}`, record.id);
    return this.recordAnswer(record);
  }

  private async describe(id: string): Promise<ServiceAnswer> {
    const record = this.records.get(id);
    if (!record) {
      return { status: 400, error: { code: 'ResourceNotFoundException', message: `Record ${id} not found` } };
    }
    record.looks++;
    if (record.looks >= 2) {
      // The outcome is told on the second look, as before: that look waits for the stack (a few seconds at most:
      // its service groups starting), so callers go through their wait once, whatever the stack takes.
      await record.completion;
    }
    return this.recordAnswer(record);
  }

  private newRecord(type: ProvisioningRecord['type'], name: string, failure?: string): ProvisioningRecord {
    const record: ProvisioningRecord = { id: `rec-${randomBytes(6).toString('hex')}`, type, provisionedProductName: name, looks: 0, failure, outputs: {} };
    this.records.set(record.id, record);
    return record;
  }

  /** A record as Service Catalog describes it: in progress until it has been looked at once, then its outcome. */
  private recordAnswer(record: ProvisioningRecord): ServiceAnswer {
    const status = record.looks < 2 ? (record.looks === 0 ? 'CREATED' : 'IN_PROGRESS') : record.failure ? 'FAILED' : 'SUCCEEDED';
    return {
      status: 200,
      body: {
        RecordDetail: {
          RecordId: record.id,
          RecordType: record.type,
          ProvisionedProductName: record.provisionedProductName,
          Status: status,
          RecordErrors: status === 'FAILED' ? [{ Code: 'CFN_STACK_FAILED', Description: record.failure }] : [],
        },
        RecordOutputs: status === 'SUCCEEDED' ? Object.entries(record.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) : [],
      },
    };
  }

  /** The products of the assembly's stacks: each product's id, its template file and its versions. */
  private async productMap(): Promise<Map<string, Product>> {
    if (!this.products) {
      const products = new Map<string, Product>();
      const assembly = this.deployment.assembly;
      for (const artifact of assembly.stacks()) {
        const stack = this.deployment.stack(artifact.id);
        for (const [id, r] of Object.entries<any>(stack.template.Resources)) {
          if (r.Type !== 'AWS::ServiceCatalog::CloudFormationProduct') {
            continue;
          }
          const productId = (await stack.resource(id)).ref;
          const url = JSON.stringify(r.Properties.ProvisioningArtifactParameters[0].Info.LoadTemplateFromURL);
          const hash = /([0-9a-f]{64})\.json/.exec(url)?.[1];
          if (!hash) {
            throw new Error(`product ${id}: no template asset in ${url}`);
          }
          products.set(productId, {
            productId,
            templateFile: assembly.fileAsset(hash),
            versions: r.Properties.ProvisioningArtifactParameters.map((v: any) => v.Name),
          });
        }
      }
      this.products = products;
    }
    return this.products;
  }
}

function notFound(name: string): ServiceAnswer {
  return { status: 400, error: { code: 'ResourceNotFoundException', message: `Provisioned product ${name} not found` } };
}
