import { runSubgraph } from '@voiceassist/subgraph-server/run';
import { flagsService } from './service.js';

await runSubgraph(flagsService);
