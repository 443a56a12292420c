import { Agent, request } from 'node:http';
import { isDeepStrictEqual } from 'node:util';

// A closed-loop load generator: `connections` clients each send the next request as soon as
// the previous answer arrives, over keep-alive connections. Every answer is checked.

export interface LoadResult {
  completed: number;
  /** Answers that were not the expected response (wrong JSON, errors, or a non-200 status). */
  wrong: number;
  /** The first wrong answer, shortened, to say what went wrong. */
  firstWrong?: string;
  seconds: number;
  /** Sorted latencies in ms. */
  latencies: number[];
}

export interface Target {
  url: string;
  body: string;
  /** The one right answer; compared by bytes first, by value when the bytes differ. */
  expected: unknown;
  /** Sent with every request (e.g. authorization). */
  headers?: Record<string, string>;
}

function post(agent: Agent, url: URL, body: string, headers: Record<string, string>): Promise<{ status: number; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `connections` clients against the target for `seconds`. */
export async function runLoad(target: Target, connections: number, seconds: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL(target.url);
  // The right answer's bytes, once seen: later answers equal to them need no decoding or
  // parsing (a byte comparison keeps the generator light beside the gateway it measures).
  const rightAnswers: Buffer[] = [];
  const isRight = (status: number, bytes: Buffer) => {
    if (status !== 200) return false;
    if (rightAnswers.some((right) => right.equals(bytes))) return true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      return false;
    }
    if (!isDeepStrictEqual(parsed, target.expected)) return false;
    // A few spellings at most (a trailing newline or not, key order): each checked by value once.
    if (rightAnswers.length < 8) rightAnswers.push(bytes);
    return true;
  };
  const result: LoadResult = { completed: 0, wrong: 0, seconds, latencies: [] };
  const start = performance.now();
  const end = start + seconds * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const sent = performance.now();
      let answer: { status: number; bytes: Buffer };
      try {
        answer = await post(agent, url, target.body, target.headers ?? {});
      } catch (error) {
        answer = { status: 0, bytes: Buffer.from(String(error)) };
      }
      result.latencies.push(performance.now() - sent);
      result.completed += 1;
      if (!isRight(answer.status, answer.bytes)) {
        result.wrong += 1;
        result.firstWrong ??= `${answer.status} ${answer.bytes.subarray(0, 300).toString('utf8')}`;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, client));
  result.seconds = (performance.now() - start) / 1000;
  result.latencies.sort((a, b) => a - b);
  agent.destroy();
  return result;
}
