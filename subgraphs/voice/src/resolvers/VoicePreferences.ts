import type { VoiceContext } from '../context.js';
import type { StoredPreferences } from '../preferences.js';

export const VoicePreferences = {
  voice: (preferences: StoredPreferences, _args: unknown, ctx: VoiceContext) => preferences.voice ?? ctx.voice.speech.defaultVoice,
};
