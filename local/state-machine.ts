/**
 * A state machine run from its synthesized definition by an Amazon States Language interpreter from the registry
 * (aws-local-stepfunctions), with its Lambda tasks invoking the bundled functions through the real runtime interface
 * client (local/lambda.ts).
 *
 * As in Step Functions: a task's function error becomes the state's error (`Error` = the function's `errorType`,
 * `Cause` = the function's error as JSON), so Retry and Catch see what they would see in AWS; each invocation is first
 * authorized against the state machine role's policies (`lambda:InvokeFunction`). Wait states and retry intervals are
 * shortened to zero: the order of events is kept, not the clock.
 */
import { IamGate } from './iam-gate';
import { FunctionError, LocalLambda } from './lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './moto';

// The package is an ES module whose CommonJS build is selected by `require`; its types cannot be imported from CommonJS.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as {
  StateMachine: new (definition: unknown, options?: unknown) => {
    run(input: unknown, options: unknown): { result: Promise<unknown>; eventLogs: AsyncGenerator<{ type: string }> };
  };
};

// aws-local-stepfunctions calls Promise.withResolvers (Node.js 22+); the standard's own definition, for Node.js 20.
if (!(Promise as any).withResolvers) {
  (Promise as any).withResolvers = function withResolvers<T>() {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((a, b) => {
      resolve = a;
      reject = b;
    });
    return { promise, resolve, reject };
  };
}

/** The end of an execution. */
export interface ExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  /** The states entered, in order (a retried state once: its retries are in `retried`). */
  readonly states: string[];
  /** The states retried, once per retry, in order. */
  readonly retried: string[];
}

export interface LocalStateMachineOptions {
  /** The resolved definition. */
  readonly definition: any;
  /** The function of a Lambda ARN. */
  readonly functions: (arn: string) => LocalLambda;
  /** The gate and the access key of the state machine's role, to authorize its invocations. */
  readonly gate: IamGate;
  readonly accessKeyId: string;
  readonly stateMachineArn: string;
  /**
   * How long a Wait state waits, in milliseconds, whatever its definition says.
   * @default 0 (tests keep the order of events, not the clock)
   */
  readonly waitMilliseconds?: number;
}

export class LocalStateMachine {
  constructor(private readonly options: LocalStateMachineOptions) {}

  /** Runs one execution to its end. */
  public async run(input: unknown, executionName = `local-${Date.now()}`): Promise<ExecutionResult> {
    const tasks = taskStates(this.options.definition);
    const handlers: Record<string, (input: any) => Promise<any>> = {};
    for (const [name, state] of Object.entries(tasks)) {
      handlers[name] = (taskInput) => this.invoke(name, state, taskInput);
    }
    const machine = new StateMachine(this.options.definition, { validationOptions: { checkPaths: true, checkArn: true } });
    const execution = machine.run(input as any, {
      overrides: {
        taskResourceLocalHandlers: handlers,
        waitTimeOverrides: Object.fromEntries(waitStates(this.options.definition).map((n) => [n, this.options.waitMilliseconds ?? 0])),
        retryIntervalOverrides: Object.fromEntries(Object.keys(tasks).map((n) => [n, 0])),
      },
      context: {
        Execution: {
          Id: `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`,
          Name: executionName,
          Input: input as any,
          StartTime: new Date().toISOString(),
          RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local`,
        },
        StateMachine: { Id: this.options.stateMachineArn, Name: this.options.stateMachineArn.split(':').pop()! },
      } as any,
    });
    const states: string[] = [];
    const retried: string[] = [];
    const history = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') {
          states.push((event as any).state.name);
        } else if (event.type === 'StateRetried') {
          retried.push((event as any).state.name);
        }
      }
    })();
    try {
      const output = await execution.result;
      await history;
      return { status: 'SUCCEEDED', output, states, retried };
    } catch (e) {
      await history.catch(() => undefined);
      const caught = (e as Error).cause as Error | undefined;
      return { status: 'FAILED', error: caught?.name ?? (e as Error).name, cause: caught?.message ?? (e as Error).message, states, retried };
    }
  }

  private async invoke(stateName: string, state: any, input: any): Promise<any> {
    const arn = lambdaArn(state, input);
    const allowed = await this.options.gate.authorize(this.options.accessKeyId, { action: 'lambda:InvokeFunction', resource: arn });
    if (!allowed) {
      throw taskError({ errorType: 'Lambda.AWSLambdaException', errorMessage: `the state machine's role may not invoke ${arn} (state ${stateName})` });
    }
    const fn = this.options.functions(arn);
    const payload = state.Resource === 'arn:aws:states:::lambda:invoke' ? input.Payload : input;
    const result = await fn.invoke(payload);
    if (result.error) {
      throw taskError(result.error);
    }
    return state.Resource === 'arn:aws:states:::lambda:invoke'
      ? { Payload: result.payload, StatusCode: 200, ExecutedVersion: '$LATEST' }
      : result.payload;
  }
}

/** Step Functions' error of a failed Lambda task: the function's error type, its error as JSON for the cause. */
function taskError(error: FunctionError): Error {
  const e = new Error(JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace }));
  e.name = error.errorType;
  return e;
}

function lambdaArn(state: any, input: any): string {
  if (state.Resource === 'arn:aws:states:::lambda:invoke') {
    return input.FunctionName;
  }
  return state.Resource;
}

/** The Lambda task states of a definition, nested ones included, by name. */
export function taskStates(definition: any): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [name, state] of allStates(definition)) {
    if (state.Type === 'Task') {
      const resource = String(state.Resource);
      if (!(resource.startsWith(`arn:aws:lambda:${LOCAL_REGION}:`) || resource === 'arn:aws:states:::lambda:invoke')) {
        throw new Error(`task ${name} calls ${resource}, which the local runner does not run`);
      }
      out[name] = state;
    }
  }
  return out;
}

function waitStates(definition: any): string[] {
  return allStates(definition).filter(([, s]) => s.Type === 'Wait').map(([n]) => n);
}

function allStates(definition: any): Array<[string, any]> {
  const out: Array<[string, any]> = [];
  for (const [name, state] of Object.entries<any>(definition.States ?? {})) {
    out.push([name, state]);
    for (const inner of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter(Boolean)) {
      out.push(...allStates(inner));
    }
  }
  return out;
}
