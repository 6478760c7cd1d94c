import * as fs from 'fs';
import * as path from 'path';
import { CfnResource, NestedStack, Stack } from 'aws-cdk-lib';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import { IConstruct } from 'constructs';

/**
 * The example app's architecture picture, generated from the synthesized app rather than drawn: a Mermaid flowchart
 * with one box per component (a construct directly under a stack, a nested stack, or a tenant template's
 * component), its class, its resource count and its notable resources, and an arrow wherever one component's
 * resources reference another's (Ref, Fn::GetAtt, Fn::Sub, Fn::ImportValue, nested-stack parameters).
 *
 * `renderArchitecture` takes the app's root after `app.synth()` and the assembly directory it was written to.
 * `writeArchitecture` puts the picture into docs/architecture.md and between the README's markers; the example-app
 * test renders it again and fails when the committed copies differ.
 */

/** Resource types worth naming in a box, with their short label. */
const NOTABLE: Array<[string, string]> = [
  ['AWS::ECS::Cluster', 'cluster'],
  ['AWS::ECS::Service', 'ECS service'],
  ['AWS::AutoScaling::AutoScalingGroup', 'Auto Scaling group'],
  ['AWS::DynamoDB::Table', 'table'],
  ['AWS::DynamoDB::GlobalTable', 'table'],
  ['AWS::ElasticLoadBalancingV2::LoadBalancer', 'load balancer'],
  ['AWS::ElasticLoadBalancingV2::ListenerRule', 'listener rule'],
  ['AWS::ApiGateway::RestApi', 'REST API'],
  ['AWS::ApiGatewayV2::Api', 'HTTP API'],
  ['AWS::ApiGateway::UsagePlan', 'usage plan'],
  ['AWS::ApiGatewayV2::VpcLink', 'VPC link'],
  ['AWS::Lambda::Function', 'function'],
  ['AWS::StepFunctions::StateMachine', 'state machine'],
  ['AWS::Events::EventBus', 'event bus'],
  ['AWS::Events::Rule', 'event rule'],
  ['AWS::Cognito::UserPool', 'user pool'],
  ['AWS::ServiceCatalog::CloudFormationProduct', 'Service Catalog product'],
  ['AWS::ServiceDiscovery::HttpNamespace', 'Service Connect namespace'],
  ['AWS::EC2::NatGateway', 'NAT gateway'],
  ['AWS::EC2::VPCEndpoint', 'VPC endpoint'],
  ['AWS::S3::Bucket', 'bucket'],
];

interface Component {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly types: Map<string, number>;
  count: number;
}

interface Group {
  readonly id: string;
  readonly title: string;
  readonly components: Component[];
  readonly groups: Group[];
}

export interface ArchitectureOptions {
  /** Constructs directly under a stack to draw as their children instead of one box. */
  readonly expand?: IConstruct[];
}

/** Renders the Mermaid flowchart of a synthesized app. */
export function renderArchitecture(root: IConstruct, assemblyDir: string, options: ArchitectureOptions = {}): string {
  const expand = new Set(options.expand ?? []);
  const stacks = root.node.findAll().filter((c): c is Stack => Stack.isStack(c));
  const componentOf = new Map<string, Component>(); // `${stackPath}#${logicalId}` → component
  const groups = new Map<Stack, Group>();
  const components = new Map<string, Component>();

  const component = (owner: Stack, scope: IConstruct, name: string): Component => {
    const id = mermaidId(scope.node.path);
    let c = components.get(id);
    if (!c) {
      // aws-cdk-lib's bundled classes carry a numeric suffix (Vpc2); the AwsCustomResource provider a hash for an id.
      const kind = scope.constructor.name.replace(/\d+$/, '');
      c = { id, name: /^AWS[0-9a-f]{32}$/.test(name) ? 'AwsCustomResource provider' : name, kind, types: new Map(), count: 0 };
      components.set(id, c);
      groups.get(owner)!.components.push(c);
    }
    return c;
  };

  // Groups: a subgraph per top-level stack and per tenant template; nested stacks are single boxes of their parent.
  for (const stack of stacks) {
    if (NestedStack.isNestedStack(stack)) {
      continue;
    }
    const product = stack instanceof servicecatalog.ProductStack;
    const group: Group = {
      id: mermaidId(stack.node.path),
      title: product ? `${stack.node.id}: ${stack.constructor.name}, a stack per ${stack.constructor.name === 'RouterShardTemplate' ? 'shard opened at run time' : 'tenant'}` : stack.stackName,
      components: [],
      groups: [],
    };
    groups.set(stack, group);
    const parent = product ? outerStack(stack) : undefined;
    if (parent) {
      groups.get(parent)!.groups.push(group);
    }
  }

  // Every CloudFormation resource belongs to one component.
  const nestedByResource = new Map<IConstruct, NestedStack>();
  for (const s of stacks) {
    if (NestedStack.isNestedStack(s) && s.nestedStackResource) {
      nestedByResource.set(s.nestedStackResource, s);
    }
  }
  for (const c of root.node.findAll()) {
    if (!CfnResource.isCfnResource(c)) {
      continue;
    }
    const stack = Stack.of(c);
    const nested = NestedStack.isNestedStack(stack) ? stack : undefined;
    const owner = nested ? outerStack(nested)! : stack;
    let comp: Component;
    if (nested) {
      comp = component(owner, nested, relativePath(owner, nested));
    } else {
      const nestedResource = nestedByResource.get(c);
      let top = nestedResource ?? topScope(stack, c);
      if (expand.has(top) && c !== top) {
        top = c.node.scopes[c.node.scopes.indexOf(top) + 1];
      }
      comp = component(owner, top, nestedResource || top.node.scope !== stack ? relativePath(owner, top) : top.node.id);
    }
    comp.count++;
    comp.types.set(c.cfnResourceType, (comp.types.get(c.cfnResourceType) ?? 0) + 1);
    componentOf.set(`${stack.node.path}#${stack.resolve(c.logicalId)}`, comp);
  }

  // Exports: name → component of the resource the output's value points at.
  const templates = new Map<Stack, any>();
  for (const stack of stacks) {
    const file = path.join(assemblyDir, stack.templateFile);
    if (fs.existsSync(file)) {
      templates.set(stack, JSON.parse(fs.readFileSync(file, 'utf8')));
    }
  }
  const exported = new Map<string, Component>();
  for (const [stack, template] of templates) {
    for (const output of Object.values<any>(template.Outputs ?? {})) {
      const name = output.Export?.Name;
      const target = typeof name === 'string' ? referencedIds(output.Value)[0] : undefined;
      const comp = target ? componentOf.get(`${stack.node.path}#${target.id}`) : undefined;
      if (comp) {
        exported.set(name, comp);
      }
    }
  }

  // Edges: a component's resources referencing another component's.
  const edges = new Set<string>();
  for (const [stack, template] of templates) {
    for (const [logicalId, resource] of Object.entries<any>(template.Resources ?? {})) {
      const from = componentOf.get(`${stack.node.path}#${logicalId}`);
      if (!from) {
        continue;
      }
      for (const ref of referencedIds(resource.Properties ?? {})) {
        const to = ref.import ? exported.get(ref.id) : componentOf.get(`${stack.node.path}#${ref.id}`);
        if (to && to !== from) {
          edges.add(`${from.id} --> ${to.id}`);
        }
      }
    }
  }

  const lines = ['flowchart LR'];
  const renderGroup = (g: Group, indent: string): void => {
    lines.push(`${indent}subgraph ${g.id}["${g.title}"]`);
    for (const c of [...g.components].sort((a, b) => a.id.localeCompare(b.id))) {
      lines.push(`${indent}  ${c.id}["${label(c)}"]`);
    }
    g.groups.forEach((child) => renderGroup(child, `${indent}  `));
    lines.push(`${indent}end`);
  };
  for (const [stack, g] of groups) {
    if (!(stack instanceof servicecatalog.ProductStack)) {
      renderGroup(g, '  ');
    }
  }
  [...edges].sort().forEach((e) => lines.push(`  ${e}`));
  return lines.join('\n') + '\n';
}

const BEGIN = '<!-- architecture:begin (generated by npx projen synth:example; do not edit) -->';
const END = '<!-- architecture:end -->';

/** The two committed copies of the picture: docs/architecture.md and the README's section between the markers. */
export function architectureFiles(repoRoot: string, chart: string): Array<{ file: string; content: string }> {
  const block = `${BEGIN}\n\`\`\`mermaid\n${chart}\`\`\`\n${END}`;
  const readmeFile = path.join(repoRoot, 'README.md');
  const readme = fs.readFileSync(readmeFile, 'utf8');
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no architecture markers: add a line '${BEGIN}' and a line '${END}'.`);
  }
  // docs/architecture.md: the generated head and picture, then whatever is written by hand after the picture.
  const docFile = path.join(repoRoot, 'docs', 'architecture.md');
  const doc = fs.existsSync(docFile) ? fs.readFileSync(docFile, 'utf8') : '';
  const handWritten = doc.indexOf(END) >= 0 ? doc.slice(doc.indexOf(END) + END.length).replace(/^\n/, '') : '';
  return [
    {
      file: docFile,
      content: [
        '# Architecture of the example app',
        '',
        'Generated from the synthesized example app by `scripts/architecture.ts` (run by `npx projen synth:example`);',
        '`test/example-app.test.ts` fails when this picture no longer matches the app. Do not edit it by hand.',
        '',
        'Each box is a component: a construct directly under a stack (with its class), a router shard (a nested stack), or',
        'a component of a tenant template (the stack the lifecycle provisions per advanced or premium tenant). An arrow',
        'means that the first component\'s resources reference the second\'s.',
        '',
        block,
        '',
      ].join('\n') + handWritten,
    },
    { file: readmeFile, content: readme.slice(0, start) + block + readme.slice(end + END.length) },
  ];
}

/** Writes both copies of the picture. */
export function writeArchitecture(repoRoot: string, chart: string): void {
  for (const f of architectureFiles(repoRoot, chart)) {
    fs.writeFileSync(f.file, f.content);
  }
}

function label(c: Component): string {
  const notable = NOTABLE
    .map(([type, name]) => [c.types.get(type) ?? 0, name] as const)
    .filter(([n]) => n > 0)
    .map(([n, name]) => `${n} ${name}${n > 1 ? 's' : ''}`);
  const kind = c.kind && c.kind !== c.name && c.kind !== 'Construct' ? `<br/><i>${c.kind}</i>` : '';
  return `<b>${c.name}</b>${kind}<br/>${c.count} resource${c.count === 1 ? '' : 's'}${notable.length ? `<br/>${notable.join(', ')}` : ''}`;
}

/** The construct directly under the stack that contains `c`. */
function topScope(stack: Stack, c: IConstruct): IConstruct {
  const scopes = c.node.scopes;
  const i = scopes.indexOf(stack);
  return scopes[i + 1] ?? c;
}

/** The nearest enclosing stack that is not nested. */
function outerStack(stack: Stack): Stack | undefined {
  let s: Stack | undefined = stack.nestedStackParent ?? (stack instanceof servicecatalog.ProductStack ? Stack.of(stack.node.scope!) : undefined);
  while (s && NestedStack.isNestedStack(s)) {
    s = s.nestedStackParent;
  }
  return s;
}

function relativePath(stack: Stack, c: IConstruct): string {
  return c.node.path.slice(stack.node.path.length + 1);
}

/** Logical ids referenced by a template fragment; `import` marks export names. */
function referencedIds(value: unknown): Array<{ id: string; import: boolean }> {
  const found: Array<{ id: string; import: boolean }> = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'Ref' && typeof x === 'string' && !x.startsWith('AWS::')) {
          found.push({ id: x, import: false });
        } else if (k === 'Fn::GetAtt' && Array.isArray(x) && typeof x[0] === 'string') {
          found.push({ id: x[0], import: false });
        } else if (k === 'Fn::ImportValue' && typeof x === 'string') {
          found.push({ id: x, import: true });
        } else if (k === 'Fn::Sub') {
          const text = Array.isArray(x) ? x[0] : x;
          for (const m of String(text).matchAll(/\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}/g)) {
            found.push({ id: m[1], import: false });
          }
          walk(Array.isArray(x) ? x[1] : undefined);
        } else {
          walk(x);
        }
      }
    }
  };
  walk(value);
  return found;
}

function mermaidId(constructPath: string): string {
  return constructPath.replace(/[^A-Za-z0-9]/g, '_');
}
