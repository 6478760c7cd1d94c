/**
 * CloudFormation intrinsic functions, evaluated against a context that says what each reference stands for.
 *
 * One evaluator serves both uses: the policy tests resolve references to fake names in a fake account
 * (test/util/cfn.ts), and the local deployment resolves them to the physical resources it created in the emulator
 * (local/deployment.ts). Anything this evaluator does not know fails loudly, naming the function.
 */

/** What references in a template stand for. */
export interface IntrinsicContext {
  /** `Ref`: a resource, a parameter or a pseudo parameter. */
  ref(logicalId: string): unknown;
  /** `Fn::GetAtt`. */
  getAtt(logicalId: string, attribute: string): unknown;
  /** `Fn::ImportValue`: an export of another stack. */
  importValue(exportName: string): unknown;
  /** The value of a condition of the template. Default: conditions are not supported. */
  condition?(name: string): boolean;
}

/** `AWS::NoValue`: the property is removed. */
export const NO_VALUE = Symbol('AWS::NoValue');

/** Resolves every intrinsic function in `value`. */
export function resolveIntrinsics(value: any, ctx: IntrinsicContext): any {
  const out = evaluate(value, ctx);
  return out === NO_VALUE ? undefined : out;
}

function evaluate(value: any, ctx: IntrinsicContext): any {
  if (Array.isArray(value)) {
    return value.map((v) => evaluate(v, ctx)).filter((v) => v !== NO_VALUE);
  }
  if (!value || typeof value !== 'object') {
    return value;
  }
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::') || keys[0] === 'Condition')) {
    return intrinsic(keys[0], value[keys[0]], ctx);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = evaluate(v, ctx);
    if (r !== NO_VALUE) {
      out[k] = r;
    }
  }
  return out;
}

function intrinsic(name: string, arg: any, ctx: IntrinsicContext): any {
  switch (name) {
    case 'Ref':
      return arg === 'AWS::NoValue' ? NO_VALUE : ctx.ref(arg);
    case 'Fn::GetAtt': {
      const [id, ...attr] = Array.isArray(arg) ? arg : String(arg).split('.');
      return ctx.getAtt(id, attr.join('.'));
    }
    case 'Fn::Join': {
      const [sep, parts] = arg;
      return (evaluate(parts, ctx) as unknown[]).map((p) => scalar(p, 'Fn::Join')).join(sep);
    }
    case 'Fn::Sub':
      return sub(arg, ctx);
    case 'Fn::Select': {
      const [index, list] = evaluate(arg, ctx);
      const items = list as unknown[];
      const i = Number(index);
      if (!Array.isArray(items) || !(i >= 0 && i < items.length)) {
        throw new Error(`Fn::Select: index ${index} is outside the list ${JSON.stringify(items)}`);
      }
      return items[i];
    }
    case 'Fn::Split': {
      const [sep, source] = arg;
      return String(scalar(evaluate(source, ctx), 'Fn::Split')).split(sep);
    }
    case 'Fn::ImportValue':
      return ctx.importValue(String(evaluate(arg, ctx)));
    case 'Fn::GetAZs': {
      const region = String(evaluate(arg, ctx) || ctx.ref('AWS::Region'));
      return ['a', 'b', 'c'].map((z) => `${region}${z}`);
    }
    case 'Fn::Base64':
      return Buffer.from(String(evaluate(arg, ctx))).toString('base64');
    case 'Fn::If': {
      const [condition, yes, no] = arg;
      return evaluate(conditionOf(ctx, condition) ? yes : no, ctx);
    }
    case 'Fn::Equals': {
      const [a, b] = evaluate(arg, ctx);
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case 'Fn::Not':
      return !evaluate(arg[0], ctx);
    case 'Fn::And':
      return (arg as unknown[]).every((c) => evaluate(c, ctx));
    case 'Fn::Or':
      return (arg as unknown[]).some((c) => evaluate(c, ctx));
    case 'Condition':
      return conditionOf(ctx, arg);
    default:
      throw new Error(`${name} is not supported by the local evaluator`);
  }
}

function conditionOf(ctx: IntrinsicContext, name: string): boolean {
  if (!ctx.condition) {
    throw new Error(`condition '${name}' cannot be evaluated here: the context has no conditions`);
  }
  return ctx.condition(name);
}

function sub(arg: any, ctx: IntrinsicContext): string {
  const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
  const values = evaluate(vars, ctx) as Record<string, unknown>;
  return String(text).replace(/\$\{([^}!]+)\}/g, (_m, expr: string) => {
    if (expr in values) {
      return String(scalar(values[expr], 'Fn::Sub'));
    }
    const [id, ...attr] = expr.split('.');
    return String(scalar(attr.length > 0 ? ctx.getAtt(id, attr.join('.')) : ctx.ref(id), 'Fn::Sub'));
  }).replace(/\$\{!/g, '${');
}

function scalar(v: unknown, fn: string): string | number | boolean {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
    return v;
  }
  throw new Error(`${fn}: ${JSON.stringify(v)} is not a scalar`);
}
