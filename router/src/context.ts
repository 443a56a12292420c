import type { Viewer } from '@voiceassist/auth';
import type { Logger } from '@voiceassist/logging';

export interface RouterContext {
  requestId: string;
  authorization: string | undefined;
  viewer: Viewer | null;
  ip: string | undefined;
  userAgent: string | undefined;
  logger: Logger;
}
