/**
 * Entry point of the cell placement function (bundled by `bundle:lifecycle` into assets/cell-placement). EventBridge
 * invokes it with the control plane's requests and the cells' replies. CellPlacement writes its configuration: the
 * names of the table and bus in `CELL_PLACEMENT_CONFIG` (JSON), the rest in `placement.json` beside this file. Not
 * part of the jsii API.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { BusEventInput, CellPlacer, PlacementOutcome } from './placement';
import { CELL_PLACEMENT_FILE, CellPlacementResources, CellPlacementRules } from '../../contract/cells';
import { ENV_CELL_PLACEMENT_CONFIG } from '../../contract/environment';

let placer: CellPlacer | undefined;

/** The Lambda entry point: one event of the control plane's bus. */
export async function handler(event: BusEventInput): Promise<PlacementOutcome> {
  placer ??= new CellPlacer({
    ...JSON.parse(fs.readFileSync(path.join(__dirname, CELL_PLACEMENT_FILE), 'utf8')) as CellPlacementRules,
    ...JSON.parse(process.env[ENV_CELL_PLACEMENT_CONFIG] ?? '{}') as CellPlacementResources,
  }, {
    dynamodb: new DynamoDBClient({}),
    events: new EventBridgeClient({}),
  });
  const outcome = await placer.handle(event);
  console.log(JSON.stringify({ level: outcome.action === 'REFUSED' ? 'WARN' : 'INFO', message: 'placement', ...outcome }));
  return outcome;
}
