/**
 * A synthesized cloud assembly, read the way a deployment reads it: stacks from the manifest, templates and nested
 * templates from their files, Lambda code from the asset manifests. Nothing here looks at constructs: what runs
 * locally is what `cdk deploy` would upload.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Template } from './iam';

/** A stack of the assembly. */
export interface StackArtifact {
  /** The artifact id, which is the stack name unless the stack sets one. */
  readonly id: string;
  readonly stackName: string;
  readonly templateFile: string;
  /** Ids of the artifacts it depends on. */
  readonly dependencies: string[];
}

/** A Lambda function of a template, with what a deployment gives it. */
export interface LambdaFunctionArtifact {
  readonly logicalId: string;
  /** The construct path (`aws:cdk:path` metadata). */
  readonly constructPath: string;
  readonly handler: string;
  readonly runtime: string;
  /** The directory the deployment zips and uploads. */
  readonly codeDir: string;
  /** The environment variables, unresolved. */
  readonly environment: Record<string, unknown>;
  /** The logical id of its role in the same template. */
  readonly roleLogicalId: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** Its layers (`Layers`), in order. */
  readonly layers: LambdaLayerArtifact[];
}

/**
 * A layer of a function: a layer version of the same template (its logical id and the directory the deployment
 * uploads), or any other layer by its ARN (unresolved).
 */
export interface LambdaLayerArtifact {
  readonly logicalId?: string;
  readonly codeDir?: string;
  readonly arn?: unknown;
}

/** A state machine of a template. */
export interface StateMachineArtifact {
  readonly logicalId: string;
  readonly constructPath: string;
  /** The definition, unresolved (DefinitionString). */
  readonly definition: unknown;
  readonly roleLogicalId: string;
}

export class AssemblyReader {
  private readonly manifest: any;

  constructor(public readonly dir: string) {
    this.manifest = readJson(path.join(dir, 'manifest.json'));
  }

  /** The stacks, dependencies first. */
  public stacks(): StackArtifact[] {
    const stacks = Object.entries<any>(this.manifest.artifacts ?? {})
      .filter(([, a]) => a.type === 'aws:cloudformation:stack')
      .map(([id, a]) => ({
        id,
        stackName: a.properties?.stackName ?? id,
        templateFile: a.properties.templateFile,
        dependencies: (a.dependencies ?? []).filter((d: string) => this.manifest.artifacts[d]?.type === 'aws:cloudformation:stack'),
      }));
    const ordered: StackArtifact[] = [];
    const visit = (s: StackArtifact) => {
      if (ordered.includes(s)) {
        return;
      }
      s.dependencies.forEach((d) => visit(stacks.find((x) => x.id === d)!));
      ordered.push(s);
    };
    stacks.forEach(visit);
    return ordered;
  }

  public stack(id: string): StackArtifact {
    const found = this.stacks().find((s) => s.id === id || s.stackName === id);
    if (!found) {
      throw new Error(`the assembly has no stack '${id}'; it has ${this.stacks().map((s) => s.id).join(', ')}`);
    }
    return found;
  }

  public template(stackId: string): Template {
    return readJson(path.join(this.dir, this.stack(stackId).templateFile));
  }

  /** A template file of the assembly by name (nested stacks, Service Catalog product templates). */
  public templateFile(file: string): Template {
    return readJson(path.join(this.dir, file));
  }

  /**
   * The template of a nested stack resource: the file asset its TemplateURL names.
   */
  public nestedTemplate(template: Template, logicalId: string): Template {
    const resource = template.Resources[logicalId];
    const assetPath = resource?.Metadata?.['aws:asset:path'];
    if (!assetPath) {
      throw new Error(`${logicalId} is not a nested stack with asset metadata`);
    }
    return this.templateFile(assetPath);
  }

  /** The Lambda functions of a template. */
  public lambdaFunctions(template: Template): LambdaFunctionArtifact[] {
    return Object.entries<any>(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([logicalId, r]) => ({
        logicalId,
        constructPath: r.Metadata?.['aws:cdk:path'] ?? logicalId,
        handler: r.Properties.Handler,
        runtime: r.Properties.Runtime,
        codeDir: this.assetDir(r),
        environment: r.Properties.Environment?.Variables ?? {},
        roleLogicalId: roleOf(r.Properties.Role, logicalId),
        timeoutSeconds: r.Properties.Timeout ?? 3,
        memorySize: r.Properties.MemorySize ?? 128,
        layers: (r.Properties.Layers ?? []).map((layer: any) => {
          const id = layer?.Ref;
          const version = typeof id === 'string' ? template.Resources[id] : undefined;
          return version?.Type === 'AWS::Lambda::LayerVersion'
            ? { logicalId: id, codeDir: this.assetDir(version, 'Content') }
            : { arn: layer };
        }),
      }));
  }

  /** The Lambda function whose construct path is `constructPath` (with or without the trailing `/Resource`). */
  public lambdaFunction(template: Template, constructPath: string): LambdaFunctionArtifact {
    return only(this.lambdaFunctions(template), constructPath, 'Lambda function');
  }

  /** The state machines of a template. */
  public stateMachines(template: Template): StateMachineArtifact[] {
    return Object.entries<any>(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map(([logicalId, r]) => ({
        logicalId,
        constructPath: r.Metadata?.['aws:cdk:path'] ?? logicalId,
        definition: r.Properties.DefinitionString ?? r.Properties.Definition,
        roleLogicalId: roleOf(r.Properties.RoleArn, logicalId),
      }));
  }

  public stateMachine(template: Template, constructPath: string): StateMachineArtifact {
    return only(this.stateMachines(template), constructPath, 'state machine');
  }

  /** The path (relative to the assembly) of the file asset with this hash, from the assets manifests. */
  public fileAsset(hash: string): string {
    for (const file of fs.readdirSync(this.dir).filter((f) => f.endsWith('.assets.json'))) {
      const source = readJson(path.join(this.dir, file)).files?.[hash]?.source;
      if (source?.path) {
        return source.path;
      }
    }
    throw new Error(`the assembly has no file asset ${hash}`);
  }

  /** The source of the Docker image asset with this hash: its directory (relative to the assembly), build args, file. */
  public dockerImageAsset(hash: string): { directory: string; buildArgs: Record<string, string>; file?: string } {
    for (const file of fs.readdirSync(this.dir).filter((f) => f.endsWith('.assets.json'))) {
      const source = readJson(path.join(this.dir, file)).dockerImages?.[hash]?.source;
      if (source?.directory) {
        return { directory: source.directory, buildArgs: source.dockerBuildArgs ?? {}, file: source.dockerFile };
      }
    }
    throw new Error(`the assembly has no Docker image asset ${hash}`);
  }

  /** The code directory of a function: the file asset whose hash its S3 key names. */
  private assetDir(resource: any, property = 'Code'): string {
    const code = resource.Properties[property] ?? {};
    const hash = typeof code.S3Key === 'string' ? code.S3Key.replace(/\.zip$/, '') : undefined;
    const fromMetadata = resource.Metadata?.['aws:asset:path'];
    if (hash) {
      try {
        return path.join(this.dir, this.fileAsset(hash));
      } catch {
        // not in a manifest: the metadata may name it
      }
    }
    if (fromMetadata) {
      return path.join(this.dir, fromMetadata);
    }
    throw new Error(`no code asset for ${JSON.stringify(code)}: inline code is not run locally`);
  }
}

function roleOf(arn: any, owner: string): string {
  const id = arn?.['Fn::GetAtt']?.[0];
  if (!id) {
    throw new Error(`${owner}: its role is not a role of the same template (${JSON.stringify(arn)})`);
  }
  return id;
}

function only<T extends { constructPath: string }>(items: T[], constructPath: string, what: string): T {
  const wanted = constructPath.replace(/\/Resource$/, '');
  const found = items.filter((i) => i.constructPath.replace(/\/Resource$/, '') === wanted);
  if (found.length !== 1) {
    throw new Error(`expected one ${what} at ${constructPath}; the template has ${items.map((i) => i.constructPath).join(', ') || 'none'}`);
  }
  return found[0];
}

function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
