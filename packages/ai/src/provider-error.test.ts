import { describe, expect, it } from 'vitest';
import { ChatProviderError } from './chat/provider.js';
import { EmbeddingProviderError } from './embeddings/provider.js';
import { ProviderError } from './provider-error.js';

describe('provider errors', () => {
  it('name their capability in logs and keep the status and cause', () => {
    const cause = new Error('ECONNREFUSED');
    const chat = new ChatProviderError('chat server unreachable', undefined, { cause });
    const embedding = new EmbeddingProviderError('embedding server answered 502', 502);
    expect(chat).toBeInstanceOf(ProviderError);
    expect(embedding).toBeInstanceOf(ProviderError);
    expect(chat).not.toBeInstanceOf(EmbeddingProviderError);
    expect([chat.name, chat.status, chat.cause]).toEqual(['ChatProviderError', undefined, cause]);
    expect([embedding.name, embedding.status, embedding.message]).toEqual(['EmbeddingProviderError', 502, 'embedding server answered 502']);
  });
});
