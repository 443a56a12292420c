// The layer table of ARCHITECTURE.md (under "## Layers": a layer, then its packages' folders), read
// by architecture.test.ts and by eslint.config.js, which is why it is plain JavaScript.

export const LAYERS = ['kit', 'apps', 'composition'];

/** Each package folder the table names, with its layer, in the table's order. */
export function readLayerTable(architectureMarkdown) {
  const section = architectureMarkdown.split('## Layers')[1]?.split('\n## ')[0] ?? '';
  const placements = [];
  for (const row of section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| layer') && !line.startsWith('| ---'))) {
    const [layerCell = '', packagesCell = ''] = row.split('|').slice(1);
    const layer = LAYERS.find((name) => layerCell.trim().startsWith(name));
    if (!layer) throw new Error(`ARCHITECTURE.md: a layer row names no layer: ${row}`);
    for (const [, dir] of packagesCell.matchAll(/`([^`]+)`/g)) placements.push({ layer, dir });
  }
  return placements;
}
