/**
 * Writes examples/cell-sizing.json: the footprints and limits the example's CellPlacement places tenants by, from the
 * capacity model of the example as it synthesizes (docs/cells.md). `npx projen cells:sizing`; a test fails when the
 * committed file no longer matches the templates.
 */
import * as fs from 'fs';
import { cellSizing } from './capacity/cells';
import { exampleCapacity } from './capacity/example-models';
import { CELL_SIZING_FILE } from '../examples/cells';

/** The sizing of the example as it synthesizes today, as the file holds it. */
export function currentCellSizing(): string {
  const capacity = exampleCapacity();
  return `${JSON.stringify(cellSizing(capacity.tiers, capacity.applicationPlane), null, 2)}\n`;
}

if (require.main === module) {
  fs.writeFileSync(CELL_SIZING_FILE, currentCellSizing());
  console.log(`wrote ${CELL_SIZING_FILE}`);
}
