import { runSubgraph } from '@voiceassist/subgraph-server/run';
import { identityService } from './service.js';

await runSubgraph(identityService);
