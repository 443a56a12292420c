import type { VoicePreferencesResolvers } from './resolvers-types.js';

export const VoicePreferences = {
  voice: (preferences, _args, ctx) => preferences.voice ?? ctx.voice.speech.defaultVoice,
} satisfies VoicePreferencesResolvers;
