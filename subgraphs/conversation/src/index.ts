import { runSubgraph } from '@voiceassist/subgraph-server/run';
import { conversationService } from './service.js';

await runSubgraph(conversationService);
