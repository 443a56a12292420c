/** Vectors are stored as little-endian float32 bytes: compact, and loaded without parsing. */
export function encodeVector(vector: ArrayLike<number>): Buffer {
  const buffer = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buffer.writeFloatLE(vector[i]!, i * 4);
  return buffer;
}

/** Copies the bytes of a stored vector into `target` at element `offset` (or a new array). */
export function decodeVector(bytes: Uint8Array, target = new Float32Array(bytes.byteLength / 4), offset = 0): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.byteLength / 4;
  for (let i = 0; i < length; i++) target[offset + i] = view.getFloat32(i * 4, true);
  return target;
}

/** pgvector's text form: [0.1,0.2,…]. */
export const vectorLiteral = (vector: ArrayLike<number>) => `[${Array.prototype.join.call(vector, ',')}]`;

/** Keeps the `limit` best (highest score) of a stream of candidates; cheap for small limits. */
export class TopK {
  readonly ids: string[] = [];
  readonly scores: number[] = [];
  constructor(private readonly limit: number) {}

  /** The score a candidate must beat to get in. */
  get threshold(): number {
    return this.scores.length < this.limit ? -Infinity : this.scores[this.scores.length - 1]!;
  }

  offer(id: string, score: number) {
    if (score <= this.threshold) return;
    let i = this.scores.length;
    while (i > 0 && this.scores[i - 1]! < score) i--;
    this.scores.splice(i, 0, score);
    this.ids.splice(i, 0, id);
    if (this.scores.length > this.limit) {
      this.scores.pop();
      this.ids.pop();
    }
  }

  hits() {
    return this.ids.map((chunkId, i) => ({ chunkId, score: this.scores[i]! }));
  }
}
