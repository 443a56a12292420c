export type Layer = 'kit' | 'apps' | 'composition';
export declare const LAYERS: readonly Layer[];
export declare function readLayerTable(architectureMarkdown: string): Array<{ layer: Layer; dir: string }>;
