import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { composeSupergraph } from '@voiceassist/composition';
import { loadHivePlanner } from './src/engine/planner.js';
const name = process.argv[2]!; const idx = Number(process.argv[3]);
const d = JSON.parse(readFileSync(`router/src/conformance/suites/${name}.json`, 'utf8'));
const sdl = composeSupergraph(d.subgraphs.map((s: any) => ({ name: s.name, url: `http://x/${s.name}`, typeDefs: parse(s.typeDefs) })));
const hive = new (loadHivePlanner().QueryPlanner)(sdl);
console.log(JSON.stringify(hive.plan(d.cases[idx].query, null, new Set(), 0), null, 1));
