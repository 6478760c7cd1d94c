import * as fs from 'fs';
import * as path from 'path';
import { Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CELL_PLACEMENT_FILE, CellPlacementRules } from '../../src/contract/cells';
import { ENV_CELL_PLACEMENT_CONFIG } from '../../src/contract/environment';

/**
 * The configuration a stack's placement function gets, as it gets it: the rules from the file beside its code in the
 * synthesized asset, the resources' names from its environment (tokens shown as TOKEN).
 */
export function placementConfig(stack: Stack): CellPlacementRules & { eventBusName: unknown; placementTable: unknown } {
  const template = Template.fromStack(stack);
  const all = Object.values<any>(template.findResources('AWS::Lambda::Function'))
    .filter((f) => f.Properties.Environment?.Variables?.[ENV_CELL_PLACEMENT_CONFIG] !== undefined);
  if (all.length !== 1) {
    throw new Error(`${stack.stackName} has ${all.length} placement functions`);
  }
  const fn = all[0];
  const value = fn.Properties.Environment.Variables[ENV_CELL_PLACEMENT_CONFIG];
  const resources = JSON.parse(typeof value === 'string' ? value : value['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : '"TOKEN"')).join('')
    .replace(/""TOKEN""/g, '"TOKEN"'));
  const key = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
  // A stage's assets are staged in the app's assembly, not the stage's.
  const dirs = [Stage.of(stack)!.outdir, (stack.node.root as Stage).outdir].map((d) => path.join(d, `asset.${key}`));
  const dir = dirs.find((d) => fs.existsSync(d));
  if (!dir) {
    throw new Error(`no asset ${key} in ${dirs.join(' or ')}`);
  }
  const rules = JSON.parse(fs.readFileSync(path.join(dir, CELL_PLACEMENT_FILE), 'utf8'));
  return { ...rules, ...resources };
}
