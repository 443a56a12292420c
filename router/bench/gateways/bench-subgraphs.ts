// A child process of gateway.bench.ts: the workload's four subgraphs and nothing else.
import { serveBenchProcess } from '@voiceassist/benchmarks';
import { startWorkloadSubgraphs, type Records, type WorkloadSubgraphs } from './workload.js';

let subgraphs: WorkloadSubgraphs | undefined;

serveBenchProcess(
  {
    async start({ records }: { records: Records }) {
      subgraphs = await startWorkloadSubgraphs(records);
      return subgraphs.url;
    },
    /** Requests the subgraphs have answered so far, all four together. */
    calls() {
      return Object.values(subgraphs?.calls ?? {}).reduce((sum, n) => sum + n, 0);
    },
  },
  { onClose: async () => subgraphs?.close() },
);
