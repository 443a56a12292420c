import { SpanKind, libraryTracer, recordFailure, startSpan, withSpan } from '@voiceassist/tracing';
import type { ChatProvider } from './chat/provider.js';
import type { EmbeddingProvider } from './embeddings/provider.js';
import type { SpeechProviders } from './speech/index.js';

// Spans of the service that calls the model (its name comes from the parent span). Model names,
// counts and durations only: never a prompt, a reply, a text embedded, spoken or transcribed.
const tracer = libraryTracer('ai');

/** The provider with a `gen_ai.chat` span per reply: model, token counts, time to first token. */
export function traceChatProvider(provider: ChatProvider): ChatProvider {
  return {
    get model() {
      return provider.model;
    },
    async *stream(messages, options) {
      const started = startSpan(tracer, 'gen_ai.chat', {
        kind: SpanKind.CLIENT,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': provider.model, 'gen_ai.prompt.messages': messages.length },
      });
      if (!started) {
        yield* provider.stream(messages, options);
        return;
      }
      const { span } = started;
      let chunks = 0;
      try {
        for await (const chunk of provider.stream(messages, options)) {
          if ('usage' in chunk) {
            span.setAttributes({ 'gen_ai.usage.input_tokens': chunk.usage.promptTokens, 'gen_ai.usage.output_tokens': chunk.usage.completionTokens });
          } else if (chunk.delta && chunks++ === 0) {
            span.addEvent('gen_ai.first_token');
          }
          yield chunk;
        }
      } catch (error) {
        recordFailure(span, error);
        throw error;
      } finally {
        span.setAttribute('gen_ai.response.chunks', chunks);
        if (options?.signal?.aborted) span.setAttribute('gen_ai.response.aborted', true);
        span.end();
      }
    },
  };
}

/** The provider with a `gen_ai.embeddings` span per call: model, dimension, how many texts. */
export function traceEmbeddingProvider(provider: EmbeddingProvider): EmbeddingProvider {
  return {
    get model() {
      return provider.model;
    },
    get dimension() {
      return provider.dimension;
    },
    embed(texts) {
      return withSpan(
        tracer,
        'gen_ai.embeddings',
        { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': provider.model, 'gen_ai.embeddings.dimension': provider.dimension, 'gen_ai.embeddings.inputs': texts.length } },
        () => provider.embed(texts),
      );
    },
  };
}

/** The speech providers with a `speech.synthesize` / `speech.transcribe` span per call: engine, format, durations. */
export function traceSpeechProviders(providers: SpeechProviders): SpeechProviders {
  const { tts, stt } = providers;
  return {
    engine: providers.engine,
    tts: {
      get engine() {
        return tts.engine;
      },
      get defaultVoice() {
        return tts.defaultVoice;
      },
      voices: () => tts.voices(),
      formats: () => tts.formats(),
      synthesize(request) {
        return withSpan(tracer, 'speech.synthesize', { kind: SpanKind.CLIENT, attributes: { 'speech.engine': tts.engine, 'speech.format': request.format, 'speech.characters': request.text.length } }, async (span) => {
          const speech = await tts.synthesize(request);
          span.setAttribute('speech.duration_ms', speech.durationMs);
          return speech;
        });
      },
    },
    stt: {
      get engine() {
        return stt.engine;
      },
      transcribe(request) {
        return withSpan(tracer, 'speech.transcribe', { kind: SpanKind.CLIENT, attributes: { 'speech.engine': stt.engine, 'speech.container': request.container, 'speech.audio_bytes': request.audio.length } }, async (span) => {
          const result = await stt.transcribe(request);
          span.setAttribute('speech.duration_ms', result.durationMs);
          return result;
        });
      },
    },
  };
}
