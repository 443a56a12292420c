import { runSubgraph } from '@voiceassist/subgraph-server/run';
import { voiceService } from './service.js';

await runSubgraph(voiceService);
