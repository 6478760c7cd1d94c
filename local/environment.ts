/**
 * The local environment: a synthesized cloud assembly brought up on this machine, artifact by artifact, as AWS would
 * run it (docs/as-deployed.md).
 *
 * - AWS APIs: moto in server mode, behind the local IAM gate that holds every call to the policy its caller really
 *   gets in the template.
 * - Resources: created from their template properties on first use (local/deployment.ts).
 * - Lambda functions: their asset directories and handlers, their resolved environment, the real runtime interface
 *   client (local/lambda.ts).
 * - State machines: their synthesized definitions (local/state-machine.ts).
 * - EventBridge rules: an event put on a bus starts the targets of every rule of the assembly whose pattern matches,
 *   as moto's own pattern matcher decides.
 * - Service Catalog: products provisioned from their templates in the assembly (local/service-catalog.ts).
 */
import { randomBytes } from 'crypto';
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { AssemblyReader, LambdaFunctionArtifact, StateMachineArtifact } from './assembly';
import { AdminClients, LocalDeployment, StackDeployment } from './deployment';
import { IamGate } from './iam-gate';
import { LocalLambda } from './lambda';
import { LOCAL_REGION, MotoServer } from './moto';
import { ServiceCatalogStandIn } from './service-catalog';
import { ExecutionResult, LocalStateMachine, taskStates } from './state-machine';

export interface LocalEnvironmentOptions {
  /** Where function log lines go. Default: kept on each function (`LocalLambda.logs`). */
  readonly onLog?: (functionName: string, line: string) => void;
}

/** A rule of a stack, mirrored into the emulator: what it delivers, and the state machines it starts. */
interface MirroredRule {
  readonly inbox: EventInbox;
  readonly targets: Array<{ readonly constructPath: string; readonly input?: unknown }>;
}

/** An event as a control plane puts it on a bus. */
export interface BusEvent {
  readonly 'source': string;
  readonly 'detail-type': string;
  readonly 'detail': unknown;
}

export class LocalEnvironment {
  /** Starts the emulator and the gate for the assembly in `assemblyDir`. */
  public static async start(assemblyDir: string, options: LocalEnvironmentOptions = {}): Promise<LocalEnvironment> {
    const moto = await MotoServer.start();
    const gate = await IamGate.start(moto.endpoint);
    return new LocalEnvironment(new AssemblyReader(assemblyDir), moto, gate, options);
  }

  /** Clients of the emulator that bypass the gate: for setting up and inspecting, never for the artifacts. */
  public readonly admin: AdminClients;
  public readonly deployment: LocalDeployment;
  /** Service Catalog, stood in for: the products of the assembly, provisioned from their templates. */
  public readonly serviceCatalog: ServiceCatalogStandIn;
  private readonly lambdas = new Map<string, Promise<LocalLambda>>();
  private readonly rules = new Map<StackDeployment, Promise<MirroredRule[]>>();

  private constructor(public readonly assembly: AssemblyReader, private readonly moto: MotoServer, public readonly gate: IamGate,
    private readonly options: LocalEnvironmentOptions) {
    this.admin = new AdminClients(moto.endpoint);
    this.deployment = new LocalDeployment(assembly, this.admin, gate);
    this.serviceCatalog = new ServiceCatalogStandIn(this.deployment);
    gate.serve('servicecatalog', (call) => this.serviceCatalog.handle(call));
  }

  public stack(id: string): StackDeployment {
    return this.deployment.stack(id);
  }

  /** A Lambda function of a stack, by construct path, ready to invoke. */
  public lambda(stackId: string, constructPath: string): Promise<LocalLambda> {
    const stack = this.stack(stackId);
    return this.lambdaOf(stack, this.assembly.lambdaFunction(stack.template, constructPath));
  }

  /** A state machine of a stack, by construct path. */
  public async stateMachine(stackId: string, constructPath: string): Promise<LocalStateMachine> {
    const stack = this.stack(stackId);
    const artifact = this.assembly.stateMachine(stack.template, constructPath);
    const resolved = await stack.resolve(artifact.definition);
    const definition = typeof resolved === 'string' ? JSON.parse(resolved) : resolved;
    const principal = await stack.principal(artifact.roleLogicalId);
    // The functions its tasks invoke, by ARN.
    const arns = new Set(Object.values(taskStates(definition)).map((t) => t.Resource === 'arn:aws:states:::lambda:invoke' ? t.Parameters?.FunctionName : t.Resource));
    const functions = new Map<string, LocalLambda>();
    for (const fn of this.assembly.lambdaFunctions(stack.template)) {
      const arn = String((await stack.resource(fn.logicalId)).attributes.Arn);
      if (arns.has(arn)) {
        functions.set(arn, await this.lambdaOf(stack, fn));
      }
    }
    return new LocalStateMachine({
      definition,
      functions: (arn) => {
        const fn = functions.get(arn);
        if (!fn) {
          throw new Error(`no function of ${stack.stackName} has the ARN ${arn}`);
        }
        return fn;
      },
      gate: this.gate,
      accessKeyId: principal.accessKeyId,
      stateMachineArn: (await stack.resource(artifact.logicalId)).ref,
    });
  }

  /**
   * Puts an event on a bus (by name) the way a control plane would, and runs the targets of the rules of the stack
   * that EventBridge (the emulator's) delivers it to: each target state machine to its end. Returns the executions.
   */
  public async publish(stackId: string, busName: string, event: BusEvent): Promise<ExecutionResult[]> {
    const stack = this.stack(stackId);
    const rules = await this.rulesOf(stack);
    const put = await this.admin.events.send(new PutEventsCommand({
      Entries: [{ EventBusName: busName, Source: event.source, DetailType: event['detail-type'], Detail: JSON.stringify(event.detail) }],
    }));
    if (put.FailedEntryCount) {
      throw new Error(`the event was not accepted: ${JSON.stringify(put.Entries)}`);
    }
    const executions: ExecutionResult[] = [];
    for (const rule of rules) {
      for (const delivered of await rule.inbox.take()) {
        for (const target of rule.targets) {
          executions.push(await (await this.stateMachine(stackId, target.constructPath)).run(target.input ?? delivered));
        }
      }
    }
    return executions;
  }


  /**
   * The stack's EventBridge rules, mirrored into the emulator: each rule with its bus and pattern, delivering to a
   * queue the environment reads (the emulator decides which events match). Targets must be state machines of the stack,
   * which the rule's role may start.
   */
  private rulesOf(stack: StackDeployment): Promise<MirroredRule[]> {
    let p = this.rules.get(stack);
    if (!p) {
      p = (async () => {
        const out: MirroredRule[] = [];
        for (const [id, rule] of Object.entries<any>(stack.template.Resources).filter(([, r]) => r.Type === 'AWS::Events::Rule')) {
          const props = await stack.resolve(rule.Properties);
          const targets = [];
          for (const target of props.Targets ?? []) {
            let machine: StateMachineArtifact | undefined;
            for (const candidate of this.assembly.stateMachines(stack.template)) {
              if ((await stack.resource(candidate.logicalId)).ref === target.Arn) {
                machine = candidate;
              }
            }
            if (!machine) {
              throw new Error(`rule ${id}: target ${target.Arn} is not a state machine of ${stack.stackName}; the local environment starts state machines only`);
            }
            if (target.RoleArn && !(await this.gate.authorize(await this.roleOfArn(stack, target.RoleArn), { action: 'states:StartExecution', resource: target.Arn }))) {
              throw new Error(`rule ${id}: its role may not start ${target.Arn}`);
            }
            targets.push({ constructPath: machine.constructPath, input: target.Input ? JSON.parse(target.Input) : undefined });
          }
          out.push({ inbox: await this.subscribe(props.EventBusName ?? 'default', props.EventPattern), targets });
        }
        return out;
      })();
      this.rules.set(stack, p);
    }
    return p;
  }

  /**
   * The events that reach a bus and match a pattern, as a consumer on the bus (the control plane) receives them: through
   * a rule of the emulator that delivers to a queue.
   */
  public async subscribe(busName: string, pattern: Record<string, unknown>): Promise<EventInbox> {
    const name = `local-inbox-${randomBytes(4).toString('hex')}`;
    const queueUrl = (await this.admin.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    const queueArn = (await this.admin.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
    await this.admin.events.send(new PutRuleCommand({ Name: name, EventBusName: busName, EventPattern: JSON.stringify(pattern) }));
    await this.admin.events.send(new PutTargetsCommand({ Rule: name, EventBusName: busName, Targets: [{ Id: 'inbox', Arn: queueArn }] }));
    return new EventInbox(this.admin, queueUrl);
  }

  public async stop(): Promise<void> {
    for (const fn of this.lambdas.values()) {
      await (await fn).stop();
    }
    this.admin.destroy();
    await this.gate.stop();
    await this.moto.stop();
  }

  private lambdaOf(stack: StackDeployment, artifact: LambdaFunctionArtifact): Promise<LocalLambda> {
    const key = `${stack.stackName}/${artifact.logicalId}`;
    let p = this.lambdas.get(key);
    if (!p) {
      p = (async () => {
        const resource = await stack.resource(artifact.logicalId);
        const environment = await stack.resolve(artifact.environment);
        const principal = await stack.principal(artifact.roleLogicalId);
        const fn = new LocalLambda({
          functionName: resource.ref,
          functionArn: String(resource.attributes.Arn),
          codeDir: artifact.codeDir,
          handler: artifact.handler,
          runtime: artifact.runtime,
          environment: Object.fromEntries(Object.entries<unknown>(environment).map(([k, v]) => [k, String(v)])),
          credentials: principal,
          awsEndpoint: this.gate.endpoint,
          endpointCertificate: this.gate.certificate.certFile,
          region: LOCAL_REGION,
          timeoutSeconds: artifact.timeoutSeconds,
          memorySize: artifact.memorySize,
          onLog: this.options.onLog ? (line) => this.options.onLog!(resource.ref, line) : undefined,
        });
        return fn;
      })();
      this.lambdas.set(key, p);
    }
    return p;
  }

  /** The access key of the role whose ARN is given (a role of the stack). */
  private async roleOfArn(stack: StackDeployment, arn: string): Promise<string> {
    for (const [id, r] of Object.entries<any>(stack.template.Resources)) {
      if (r.Type === 'AWS::IAM::Role' && (await stack.resource(id)).attributes.Arn === arn) {
        return (await stack.principal(id)).accessKeyId;
      }
    }
    throw new Error(`no role of ${stack.stackName} has the ARN ${arn}`);
  }
}


/** Events delivered to a queue by a rule (`LocalEnvironment.subscribe`). */
export class EventInbox {
  constructor(private readonly admin: AdminClients, private readonly queueUrl: string) {}

  /** Takes every event delivered so far. */
  public async take(): Promise<Array<{ 'source': string; 'detail-type': string; 'detail': any }>> {
    const out: any[] = [];
    for (;;) {
      const page = await this.admin.sqs.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      const messages = page.Messages ?? [];
      if (messages.length === 0) {
        return out;
      }
      out.push(...messages.map((m) => JSON.parse(m.Body!)));
      await this.admin.sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }));
    }
  }
}
