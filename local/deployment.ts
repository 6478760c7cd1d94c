/**
 * A local deployment of a synthesized stack: what CloudFormation would create, created in the emulator, on demand.
 *
 * A resource is created the first time something needs it (a reference in a function's environment, a policy, an
 * output, another resource), after the resources its own properties refer to, with its template properties. Resource
 * types the emulator stands in for (DynamoDB tables, Cognito user pools and clients, API keys, event buses, queues)
 * are real there; every other resource gets a physical id and ARN of CloudFormation's shape, so that references to it
 * resolve. Cross-stack exports and nested stacks resolve as CloudFormation resolves them.
 */
import { randomBytes } from 'crypto';
import * as https from 'https';
import { APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanCommand } from '@aws-sdk/client-api-gateway';
import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  DeleteUserPoolCommand,
  DescribeUserPoolClientCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  SetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { AssemblyReader } from './assembly';
import { roleAccess, Template } from './iam';
import { ADMIN_ACCESS_KEY, GatePrincipal, IamGate } from './iam-gate';
import { IntrinsicContext, resolveIntrinsics } from './intrinsics';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './moto';

/** A created resource: what `Ref` and `Fn::GetAtt` return. */
export interface PhysicalResource {
  readonly type: string;
  readonly ref: string;
  readonly attributes: Record<string, unknown>;
}

/** Clients of the emulator, signed as the harness (never checked by the gate). */
export class AdminClients {
  public readonly dynamodb: DynamoDBClient;
  public readonly cognito: CognitoIdentityProviderClient;
  public readonly events: EventBridgeClient;
  public readonly apigateway: APIGatewayClient;
  public readonly sqs: SQSClient;

  constructor(public readonly endpoint: string) {
    const config = { region: LOCAL_REGION, endpoint, credentials: { accessKeyId: ADMIN_ACCESS_KEY, secretAccessKey: 'local' } };
    this.dynamodb = new DynamoDBClient(config);
    this.cognito = new CognitoIdentityProviderClient(config);
    this.events = new EventBridgeClient(config);
    this.apigateway = new APIGatewayClient(config);
    this.sqs = new SQSClient(config);
  }

  public destroy(): void {
    [this.dynamodb, this.cognito, this.events, this.apigateway, this.sqs].forEach((c) => c.destroy());
  }
}

/** The whole assembly, deployed on demand. */
export class LocalDeployment {
  private readonly stacks = new Map<string, StackDeployment>();

  constructor(public readonly assembly: AssemblyReader, public readonly clients: AdminClients, public readonly gate: IamGate) {}

  /** The deployment of a top-level stack. */
  public stack(id: string): StackDeployment {
    const artifact = this.assembly.stack(id);
    let d = this.stacks.get(artifact.id);
    if (!d) {
      d = new StackDeployment(this, artifact.stackName, this.assembly.template(artifact.id));
      this.stacks.set(artifact.id, d);
    }
    return d;
  }

  /**
   * A deployment of a template that is no stack of the assembly (a Service Catalog product's), named `stackName`, with
   * these parameter values.
   */
  public templateStack(stackName: string, template: Template, parameters: Record<string, string>): StackDeployment {
    return new StackDeployment(this, stackName, template, async (name) => parameters[name]);
  }

  /**
   * The document of a customer managed policy of any top-level stack of the assembly, by ARN, resolved in its stack;
   * undefined when no stack has it.
   */
  public async managedPolicyDocument(arn: string): Promise<unknown> {
    for (const artifact of this.assembly.stacks()) {
      const stack = this.stack(artifact.id);
      for (const [id, r] of Object.entries<any>(stack.template.Resources)) {
        if (r.Type === 'AWS::IAM::ManagedPolicy' && (await stack.resource(id)).ref === arn) {
          return stack.resolve(r.Properties.PolicyDocument);
        }
      }
    }
    return undefined;
  }

  /** The value of an export of any stack of the assembly. */
  public async exportValue(name: string): Promise<unknown> {
    for (const artifact of this.assembly.stacks()) {
      const template = this.assembly.template(artifact.id);
      for (const [outputId, output] of Object.entries<any>(template.Outputs ?? {})) {
        if (!output.Export) {
          continue;
        }
        const stack = this.stack(artifact.id);
        const exported = typeof output.Export.Name === 'string' ? output.Export.Name : await stack.resolve(output.Export.Name);
        if (exported === name) {
          return stack.output(outputId);
        }
      }
    }
    throw new Error(`no stack of the assembly exports '${name}'`);
  }
}

/** One stack (top-level or nested), deployed on demand. */
export class StackDeployment {
  private readonly created = new Map<string, Promise<PhysicalResource>>();
  private readonly imports = new Map<string, unknown>();
  private readonly nested = new Map<string, StackDeployment>();
  private readonly principals = new Map<string, GatePrincipal & { readonly secretAccessKey: string; readonly sessionToken: string }>();
  private readonly parameterValues = new Map<string, string>();
  private conditionsPrepared = false;
  /** Resources, nested-stack outputs and imports prepared for the synchronous evaluator. */
  private readonly settled = new Map<string, PhysicalResource>();
  private readonly nestedOutputs = new Map<string, unknown>();

  constructor(
    public readonly deployment: LocalDeployment,
    public readonly stackName: string,
    public readonly template: Template,
    /** Values of the stack's parameters: given (a product's parameters) or read from the parent stack on first use. */
    private readonly parameterSource: (name: string) => Promise<unknown> = async () => undefined,
  ) {}


  /** Resolves a template value: creates what it refers to, then evaluates its intrinsics. */
  public async resolve(value: unknown): Promise<any> {
    await this.prepare(value);
    return resolveIntrinsics(value, this.context());
  }

  /** The value of an output of this stack. */
  public async output(outputId: string): Promise<unknown> {
    const output = this.template.Outputs?.[outputId];
    if (!output) {
      throw new Error(`${this.stackName} has no output ${outputId}`);
    }
    return this.resolve(output.Value);
  }

  /** Creates a resource (and what it refers to) if it does not exist yet. */
  public resource(logicalId: string): Promise<PhysicalResource> {
    let p = this.created.get(logicalId);
    if (!p) {
      const definition = this.template.Resources[logicalId];
      if (!definition) {
        throw new Error(`${this.stackName} has no resource ${logicalId}`);
      }
      p = this.create(logicalId, definition);
      this.created.set(logicalId, p);
    }
    return p;
  }

  /** Creates every resource of the stack that the emulator stands for (a stack deployed whole, as a provisioned product). */
  public async deployAll(): Promise<void> {
    for (const [id, r] of Object.entries<any>(this.template.Resources)) {
      if (EMULATED.has(r.Type)) {
        await this.resource(id);
      }
    }
  }

  /** Deletes what this stack created in the emulator (a stack deleted whole): its user pools and tables. */
  public async deleteAll(): Promise<void> {
    const clients = this.deployment.clients;
    for (const p of this.created.values()) {
      const r = await p;
      if (r.type === 'AWS::Cognito::UserPool') {
        await clients.cognito.send(new DeleteUserPoolCommand({ UserPoolId: r.ref }));
      } else if (r.type === 'AWS::DynamoDB::Table') {
        await clients.dynamodb.send(new DeleteTableCommand({ TableName: r.ref }));
      }
    }
    this.created.clear();
    this.settled.clear();
  }

  /**
   * The principal of a role of this stack, registered with the IAM gate: its credentials (an access key, and a secret
   * and session token of its own, random, which the gate keeps to verify its signatures) and the policies the template
   * gives it, resolved.
   */
  public async principal(roleLogicalId: string): Promise<GatePrincipal & { readonly secretAccessKey: string; readonly sessionToken: string }> {
    let principal = this.principals.get(roleLogicalId);
    if (!principal) {
      const access = roleAccess(this.template, roleLogicalId);
      // Managed policies of another stack of the assembly (an imported ARN): their documents, resolved in that stack.
      const imported = async (arn: unknown) => this.deployment.managedPolicyDocument(String(await this.resolve(arn)));
      const external = [];
      for (const arn of access.externalManagedPolicies) {
        const doc = arn === role0(this.template, roleLogicalId).PermissionsBoundary ? undefined : await imported(arn);
        if (doc) {
          access.identityPolicies.push(doc);
        } else if (arn !== role0(this.template, roleLogicalId).PermissionsBoundary) {
          external.push(arn);
        }
      }
      let boundaryDocument = access.boundary;
      const boundaryArn = role0(this.template, roleLogicalId).PermissionsBoundary;
      if (boundaryArn && !boundaryDocument) {
        boundaryDocument = await imported(boundaryArn);
        if (!boundaryDocument) {
          external.push(boundaryArn);
        }
      }
      if (external.length > 0) {
        throw new Error(`${roleLogicalId} has managed policies from outside the assembly (${JSON.stringify(external)}), which are not evaluated locally`);
      }
      const role = await this.resource(roleLogicalId);
      principal = {
        accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
        arn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${role.ref}/local`,
        roleArn: String(role.attributes.Arn),
        identityPolicies: await this.resolve(access.identityPolicies),
        boundary: boundaryDocument ? await this.resolve(boundaryDocument) : undefined,
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(48).toString('base64'),
      };
      this.deployment.gate.addPrincipal(principal);
      this.principals.set(roleLogicalId, principal);
    }
    return { ...principal };
  }

  /** The deployment of a nested stack resource of this stack. */
  public async nestedStack(logicalId: string): Promise<StackDeployment> {
    let child = this.nested.get(logicalId);
    if (!child) {
      const definition = this.template.Resources[logicalId];
      child = new StackDeployment(this.deployment, `${this.stackName}-${logicalId}-${suffix()}`,
        this.deployment.assembly.nestedTemplate(this.template, logicalId),
        async (name) => this.resolve(definition.Properties?.Parameters?.[name]));
      this.nested.set(logicalId, child);
    }
    return child;
  }

  private context(): IntrinsicContext {
    const settled = (id: string): PhysicalResource => {
      const value = this.settled.get(id);
      if (!value) {
        throw new Error(`${this.stackName}: ${id} was not prepared`);
      }
      return value;
    };
    return {
      ref: (id) => this.pseudo(id) ?? this.parameter(id) ?? settled(id).ref,
      getAtt: (id, attr) => {
        if (attr.startsWith('Outputs.')) {
          return this.nestedOutputs.get(`${id}.${attr}`);
        }
        const r = settled(id);
        if (!(attr in r.attributes)) {
          if (EMULATED.has(r.type)) {
            throw new Error(`${this.stackName}: ${id} (${r.type}) has no attribute ${attr} locally`);
          }
          return `${r.ref}.${attr}`; // a stand-in's attribute: a value of no meaning, but a stable one
        }
        return r.attributes[attr];
      },
      importValue: (name) => {
        if (!this.imports.has(name)) {
          throw new Error(`${this.stackName}: import ${name} was not prepared`);
        }
        return this.imports.get(name);
      },
      condition: (name) => Boolean(resolveIntrinsics(this.template.Conditions?.[name], this.context())),
    };
  }

  /** Creates everything `value` refers to. */
  private async prepare(value: unknown): Promise<void> {
    // A condition (`Fn::If`) reads the parameters of the template's Conditions: those are prepared too, once.
    if (!this.conditionsPrepared && this.template.Conditions && JSON.stringify(value ?? null).includes('"Fn::If"')) {
      this.conditionsPrepared = true;
      await this.prepare(this.template.Conditions);
    }
    const refs = references(value);
    for (const id of refs.resources) {
      if (this.pseudo(id) !== undefined) {
        continue;
      }
      const parameter = this.template.Parameters?.[id];
      if (parameter) {
        if (!this.parameterValues.has(id)) {
          const given = (await this.parameterSource(id)) ?? parameter.Default;
          if (given === undefined) {
            throw new Error(`${this.stackName}: no value for parameter ${id}`);
          }
          this.parameterValues.set(id, Array.isArray(given) ? given.join(',') : String(given));
        }
        continue;
      }
      this.settled.set(id, await this.resource(id));
    }
    for (const [id, attr] of refs.nestedOutputs) {
      const child = await this.nestedStack(id);
      this.nestedOutputs.set(`${id}.${attr}`, await child.output(attr.slice('Outputs.'.length)));
    }
    for (const name of refs.imports) {
      if (!this.imports.has(name)) {
        this.imports.set(name, await this.deployment.exportValue(name));
      }
    }
    for (const name of refs.dynamicImports) {
      await this.prepare(name);
      const resolved = String(resolveIntrinsics(name, this.context()));
      if (!this.imports.has(resolved)) {
        this.imports.set(resolved, await this.deployment.exportValue(resolved));
      }
    }
  }

  private pseudo(id: string): string | undefined {
    switch (id) {
      case 'AWS::Region':
        return LOCAL_REGION;
      case 'AWS::AccountId':
        return LOCAL_ACCOUNT;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/${this.stackName}/local`;
      default:
        return undefined;
    }
  }

  private parameter(id: string): string | undefined {
    return this.parameterValues.get(id);
  }

  /**
   * A CDK AwsCustomResource (`Custom::*` with a `Create` call): the call its provider function makes on create, made
   * here through the IAM gate with the provider's role, so the policy the template gives it is what allows it; its
   * attributes are the response flattened as the provider flattens it (`UserPoolClient.ClientSecret`). The provider
   * function itself is not run: CloudFormation's response URL is what it would need (docs/local.md).
   */
  private async awsCustomResource(type: string, definition: any): Promise<PhysicalResource> {
    const call = JSON.parse(await this.resolve(definition.Properties.Create));
    const token = definition.Properties.ServiceToken?.['Fn::GetAtt']?.[0];
    const roleId = this.template.Resources[token]?.Properties?.Role?.['Fn::GetAtt']?.[0];
    if (!roleId) {
      throw new Error(`${this.stackName}: ${type}'s provider has no role of this stack`);
    }
    const principal = await this.principal(roleId);
    const client = AWS_CUSTOM_RESOURCE_CLIENTS[`${call.service}.${call.action}`];
    if (!client) {
      throw new Error(`${this.stackName}: ${type} calls ${call.service}.${call.action}, which the local deployment does not make; add it to AWS_CUSTOM_RESOURCE_CLIENTS`);
    }
    const response = await client(this.deployment.gate.endpoint, this.deployment.gate.certificate.cert, principal, call.parameters);
    const attributes = flatten(response);
    const physicalId = call.physicalResourceId?.id
      ?? (call.physicalResourceId?.responsePath ? String(attributes[call.physicalResourceId.responsePath]) : type);
    return { type, ref: physicalId, attributes };
  }

  private async create(logicalId: string, definition: any): Promise<PhysicalResource> {
    const name = physicalName(this.stackName, logicalId);
    const type: string = definition.Type;
    if (type.startsWith('Custom::') && definition.Properties?.Create !== undefined && definition.Properties?.ServiceToken !== undefined) {
      return this.awsCustomResource(type, definition);
    }
    if (!EMULATED.has(type)) {
      // A stand-in: only the property that names it is read, so that nothing else it refers to is created.
      const nameProperty = STAND_IN_NAMES[type];
      const given = nameProperty && definition.Properties?.[nameProperty] !== undefined
        ? { [nameProperty]: await this.resolve(definition.Properties[nameProperty]) } : {};
      return standIn(type, name, given);
    }
    const props = (await this.resolve(definition.Properties ?? {})) ?? {};
    const clients = this.deployment.clients;
    switch (type) {
      case 'AWS::DynamoDB::Table': {
        const table = props.TableName ?? name;
        const d = await clients.dynamodb.send(new CreateTableCommand({
          TableName: table,
          KeySchema: props.KeySchema,
          AttributeDefinitions: props.AttributeDefinitions,
          GlobalSecondaryIndexes: props.GlobalSecondaryIndexes?.map((g: any) => ({ ...g, ContributorInsightsSpecification: undefined })),
          LocalSecondaryIndexes: props.LocalSecondaryIndexes,
          BillingMode: 'PAY_PER_REQUEST',
          StreamSpecification: props.StreamSpecification,
        }));
        return { type, ref: table, attributes: { Arn: d.TableDescription!.TableArn, StreamArn: d.TableDescription!.LatestStreamArn } };
      }
      case 'AWS::Cognito::UserPool': {
        const { UserPoolName, EnabledMfas, LambdaConfig: _lambdas, ...rest } = props;
        const pool = (await clients.cognito.send(new CreateUserPoolCommand({ PoolName: UserPoolName ?? name, ...rest }))).UserPool!;
        if (props.MfaConfiguration && props.MfaConfiguration !== 'OFF' && (EnabledMfas ?? []).includes('SOFTWARE_TOKEN_MFA')) {
          await clients.cognito.send(new SetUserPoolMfaConfigCommand({
            UserPoolId: pool.Id,
            MfaConfiguration: props.MfaConfiguration,
            SoftwareTokenMfaConfiguration: { Enabled: true },
          }));
        }
        return {
          type,
          ref: pool.Id!,
          attributes: {
            Arn: pool.Arn,
            UserPoolId: pool.Id,
            ProviderName: `cognito-idp.${LOCAL_REGION}.amazonaws.com/${pool.Id}`,
            ProviderURL: `https://cognito-idp.${LOCAL_REGION}.amazonaws.com/${pool.Id}`,
          },
        };
      }
      case 'AWS::Cognito::UserPoolClient': {
        const create = new CreateUserPoolClientCommand({ ClientName: props.ClientName ?? name, ...props });
        const client = (await clients.cognito.send(create)).UserPoolClient!;
        return { type, ref: client.ClientId!, attributes: { ClientId: client.ClientId, ClientSecret: client.ClientSecret, Name: client.ClientName } };
      }
      case 'AWS::Cognito::UserPoolGroup': {
        const group = (await clients.cognito.send(new CreateGroupCommand({ GroupName: props.GroupName ?? name, ...props }))).Group!;
        return { type, ref: group.GroupName!, attributes: {} };
      }
      case 'AWS::Cognito::UserPoolUser': {
        await clients.cognito.send(new AdminCreateUserCommand({
          UserPoolId: props.UserPoolId,
          Username: props.Username,
          MessageAction: 'SUPPRESS',
          UserAttributes: (props.UserAttributes ?? []).map((a: any) => ({ Name: a.Name, Value: a.Value })),
        }));
        return { type, ref: props.Username, attributes: {} };
      }
      case 'AWS::ApiGateway::ApiKey': {
        const key = await clients.apigateway.send(new CreateApiKeyCommand({
          name: props.Name ?? name,
          description: props.Description,
          enabled: props.Enabled ?? false,
          value: props.Value,
          customerId: props.CustomerId,
          tags: Object.fromEntries((props.Tags ?? []).map((t: any) => [t.Key, t.Value])),
        }));
        return { type, ref: key.id!, attributes: { APIKeyId: key.id } };
      }
      case 'AWS::ApiGateway::UsagePlan': {
        // In the emulator, so that keys added at run time (CreateUsagePlanKey) have a plan to join. Its stages and
        // limits are read from the template (LocalRestApi), since the APIs are stand-ins.
        const plan = await clients.apigateway.send(new CreateUsagePlanCommand({
          name: props.UsagePlanName ?? name,
          description: props.Description,
          tags: Object.fromEntries((props.Tags ?? []).map((t: any) => [t.Key, t.Value])),
        }));
        return { type, ref: plan.id!, attributes: { Id: plan.id } };
      }
      case 'AWS::Events::EventBus': {
        const bus = await clients.events.send(new CreateEventBusCommand({ Name: props.Name ?? name }));
        return { type, ref: props.Name ?? name, attributes: { Arn: bus.EventBusArn, Name: props.Name ?? name } };
      }
      default:
        throw new Error(`${type} is listed as emulated but has no handler`);
    }
  }
}

/** The calls of AwsCustomResources the local deployment makes, by `<service>.<action>` (SDK v2 names, as the template has them). */
type CustomResourceCall = (endpoint: string, ca: string, credentials: LocalCredentials, parameters: any) => Promise<unknown>;
interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}
const AWS_CUSTOM_RESOURCE_CLIENTS: Record<string, CustomResourceCall> = {
  'CognitoIdentityServiceProvider.describeUserPoolClient': async (endpoint, ca, credentials, parameters) => {
    const requestHandler = new NodeHttpHandler({ httpsAgent: new https.Agent({ ca }) });
    const client = new CognitoIdentityProviderClient({ endpoint, region: LOCAL_REGION, credentials, requestHandler });
    try {
      const { $metadata: _, ...out } = await client.send(new DescribeUserPoolClientCommand(parameters));
      return out;
    } finally {
      client.destroy();
    }
  },
};

/** A response flattened as AwsCustomResource flattens it: nested keys joined with dots. */
function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      flatten(v, prefix ? `${prefix}.${k}` : k, out);
    }
  } else if (prefix) {
    out[prefix] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

function role0(template: Template, roleId: string): any {
  return template.Resources[roleId].Properties;
}

/** The resource types created in the emulator; every other type is a stand-in. */
const EMULATED = new Set([
  'AWS::DynamoDB::Table',
  'AWS::Cognito::UserPool',
  'AWS::Cognito::UserPoolClient',
  'AWS::Cognito::UserPoolGroup',
  'AWS::Cognito::UserPoolUser',
  'AWS::ApiGateway::ApiKey',
  'AWS::ApiGateway::UsagePlan',
  'AWS::Events::EventBus',
]);

/** The property that names a stand-in resource, where the template may set it. */
const STAND_IN_NAMES: Record<string, string> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::ServiceCatalog::CloudFormationProduct': 'Name',
  'AWS::ServiceCatalog::Portfolio': 'DisplayName',
  'AWS::ApiGateway::Stage': 'StageName',
  'AWS::Cognito::UserPoolDomain': 'Domain',
  'AWS::ServiceDiscovery::PrivateDnsNamespace': 'Name',
};

/** A resource the emulator does not stand in for: a physical id and ARN of CloudFormation's shape. */
function standIn(type: string, name: string, props: any): PhysicalResource {
  const region = LOCAL_REGION;
  const account = LOCAL_ACCOUNT;
  const id = (prefix: string) => `${prefix}-${randomBytes(8).toString('hex').slice(0, 17)}`;
  switch (type) {
    case 'AWS::IAM::Role': {
      const roleName = props.RoleName ?? name.slice(0, 64);
      return { type, ref: roleName, attributes: { Arn: `arn:aws:iam::${account}:role/${roleName}`, RoleId: id('AROA') } };
    }
    case 'AWS::IAM::ManagedPolicy':
      return { type, ref: `arn:aws:iam::${account}:policy/${props.ManagedPolicyName ?? name}`, attributes: {} };
    case 'AWS::Lambda::Function': {
      const fn = props.FunctionName ?? name.slice(0, 64);
      return { type, ref: fn, attributes: { Arn: `arn:aws:lambda:${region}:${account}:function:${fn}` } };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const sm = props.StateMachineName ?? name;
      const arn = `arn:aws:states:${region}:${account}:stateMachine:${sm}`;
      return { type, ref: arn, attributes: { Arn: arn, Name: sm } };
    }
    case 'AWS::Logs::LogGroup': {
      const group = props.LogGroupName ?? name;
      return { type, ref: group, attributes: { Arn: `arn:aws:logs:${region}:${account}:log-group:${group}:*` } };
    }
    case 'AWS::SNS::Topic': {
      const arn = `arn:aws:sns:${region}:${account}:${props.TopicName ?? name}`;
      return { type, ref: arn, attributes: { TopicArn: arn, TopicName: props.TopicName ?? name } };
    }
    case 'AWS::SQS::Queue': {
      const q = props.QueueName ?? name;
      return { type, ref: `https://sqs.${region}.amazonaws.com/${account}/${q}`, attributes: { Arn: `arn:aws:sqs:${region}:${account}:${q}`, QueueName: q } };
    }
    case 'AWS::KMS::Key': {
      const key = randomUuid();
      return { type, ref: key, attributes: { Arn: `arn:aws:kms:${region}:${account}:key/${key}`, KeyId: key } };
    }
    case 'AWS::CloudFormation::Stack':
      return { type, ref: `arn:aws:cloudformation:${region}:${account}:stack/${name}/local`, attributes: {} };
    case 'AWS::ServiceCatalog::CloudFormationProduct':
      return { type, ref: id('prod'), attributes: { ProvisioningArtifactIds: id('pa'), ProvisioningArtifactNames: 'v1', ProductName: props.Name } };
    case 'AWS::ServiceCatalog::Portfolio':
      return { type, ref: id('port'), attributes: { PortfolioName: props.DisplayName } };
    case 'AWS::ApiGateway::RestApi': {
      const api = randomBytes(5).toString('hex');
      return { type, ref: api, attributes: { RestApiId: api, RootResourceId: randomBytes(5).toString('hex') } };
    }
    case 'AWS::ApiGateway::Stage':
      return { type, ref: props.StageName ?? 'prod', attributes: {} };
    case 'AWS::Events::ApiDestination':
      return { type, ref: name, attributes: { Arn: `arn:aws:events:${region}:${account}:api-destination/${name}/${randomUuid()}` } };
    case 'AWS::Events::Connection':
      return { type, ref: name, attributes: { Arn: `arn:aws:events:${region}:${account}:connection/${name}/${randomUuid()}`, SecretArn: `arn:aws:secretsmanager:${region}:${account}:secret:events!connection/${name}-${randomBytes(3).toString('hex')}` } };
    case 'AWS::Cognito::UserPoolDomain':
      // Ref is the domain's prefix; the hosted UI it names is not served locally.
      return { type, ref: props.Domain, attributes: { CloudFrontDistribution: `${props.Domain}.cloudfront.net` } };
    case 'AWS::ServiceDiscovery::PrivateDnsNamespace': {
      // Its name is an attribute here too, so that the Cloud Map DNS stand-in can name the records of its services.
      const ns = id('ns');
      return { type, ref: ns, attributes: { Id: ns, Arn: `arn:aws:servicediscovery:${region}:${account}:namespace/${ns}`, HostedZoneId: id('Z'), Name: props.Name } };
    }
    case 'AWS::ApiGateway::Deployment':
      return { type, ref: randomBytes(3).toString('hex'), attributes: { DeploymentId: randomBytes(3).toString('hex') } };
    case 'AWS::ApiGateway::Resource':
      return { type, ref: randomBytes(3).toString('hex'), attributes: { ResourceId: randomBytes(3).toString('hex') } };
    case 'AWS::ApiGateway::Authorizer':
      return { type, ref: randomBytes(3).toString('hex'), attributes: { AuthorizerId: randomBytes(3).toString('hex') } };
    case 'AWS::ApiGatewayV2::Api': {
      // An id of API Gateway's shape: it is the first label of the API's host name (at most 63 characters).
      const api = randomBytes(5).toString('hex');
      return { type, ref: api, attributes: { ApiId: api, ApiEndpoint: `https://${api}.execute-api.${region}.amazonaws.com` } };
    }
    default: {
      // (A custom resource, `Custom::Name` or AWS::CloudFormation::CustomResource, gets an ARN of no meaning too.)
      const [, service, kind = 'resource'] = type.toLowerCase().split('::');
      return { type, ref: name, attributes: { Arn: `arn:aws:${service}:${region}:${account}:${kind}/${name}` } };
    }
  }
}

/** The logical ids, nested-stack outputs and imports a template value refers to. */
interface References {
  readonly resources: Set<string>;
  /** `[logical id of the nested stack, 'Outputs.<name>']`. */
  readonly nestedOutputs: Array<[string, string]>;
  readonly imports: Set<string>;
  /** Import names that are themselves expressions. */
  readonly dynamicImports: unknown[];
}

function references(value: unknown): References {
  const out: References = { resources: new Set(), nestedOutputs: [], imports: new Set(), dynamicImports: [] };
  const walk = (v: any) => {
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    if (!v || typeof v !== 'object') {
      return;
    }
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [k] = keys;
      const arg = v[k];
      if (k === 'Ref') {
        if (arg !== 'AWS::NoValue') {
          out.resources.add(arg);
        }
        return;
      }
      if (k === 'Fn::GetAtt') {
        const [id, ...attr] = Array.isArray(arg) ? arg : String(arg).split('.');
        const attribute = attr.join('.');
        if (attribute.startsWith('Outputs.')) {
          out.nestedOutputs.push([id, attribute]);
        } else {
          out.resources.add(id);
        }
        return;
      }
      if (k === 'Fn::ImportValue') {
        if (typeof arg === 'string') {
          out.imports.add(arg);
        } else {
          out.dynamicImports.push(arg);
        }
        return;
      }
      if (k === 'Fn::Sub') {
        const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
        for (const m of String(text).matchAll(/\$\{([^}!]+)\}/g)) {
          if (!(m[1] in (vars ?? {}))) {
            const [id, ...attr] = m[1].split('.');
            if (attr.length > 0 && attr[0] === 'Outputs') {
              out.nestedOutputs.push([id, attr.join('.')]);
            } else {
              out.resources.add(id);
            }
          }
        }
        walk(vars);
        return;
      }
    }
    Object.values(v).forEach(walk);
  };
  walk(value);
  return out;
}

/** CloudFormation's generated names: `<stack>-<logical id>-<suffix>`. */
function physicalName(stackName: string, logicalId: string): string {
  return `${stackName.slice(0, 40)}-${logicalId.slice(0, 40)}-${suffix()}`;
}

function suffix(): string {
  return randomBytes(6).toString('hex').toUpperCase();
}

function randomUuid(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
