import { runSubgraph } from '@voiceassist/subgraph-server/run';
import { knowledgeService } from './service.js';

await runSubgraph(knowledgeService);
