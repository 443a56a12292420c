import { conversationService } from '@voiceassist/conversation';
import { flagsService } from '@voiceassist/flags';
import { identityService } from '@voiceassist/identity';
import { knowledgeService } from '@voiceassist/knowledge';
import { voiceService } from '@voiceassist/voice';
import type { SubgraphServiceDefinition } from '@voiceassist/subgraph-server';

/**
 * Every subgraph of the supergraph, in start order: a subgraph comes after the peers it calls
 * (identity first: everyone verifies its tokens). `pnpm start` and the test kit start these.
 */
export const subgraphServices: ReadonlyArray<SubgraphServiceDefinition<never>> = [
  identityService as unknown as SubgraphServiceDefinition<never>,
  knowledgeService as unknown as SubgraphServiceDefinition<never>,
  flagsService as unknown as SubgraphServiceDefinition<never>,
  conversationService as unknown as SubgraphServiceDefinition<never>,
  voiceService as unknown as SubgraphServiceDefinition<never>,
];

export function subgraphService(name: string): SubgraphServiceDefinition<never> {
  const found = subgraphServices.find((s) => s.name === name);
  if (!found) throw new Error(`Unknown subgraph "${name}"; known: ${subgraphServices.map((s) => s.name).join(', ')}`);
  return found;
}
