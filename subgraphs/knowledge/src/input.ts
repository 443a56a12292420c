import { createHash } from 'node:crypto';
import { badUserInput } from '@voiceassist/errors';
import { checkContent, ExtractionError, normalizeMimeType, SUPPORTED_MIME_TYPES, type SupportedMimeType } from './extraction/index.js';

export interface IngestDocumentInput {
  title: string;
  source?: string | null;
  mimeType: string;
  text?: string | null;
  base64?: string | null;
}

export interface ValidDocument {
  title: string;
  source: string | null;
  mimeType: SupportedMimeType;
  content: Buffer;
  /** Identical content of the same type is stored once. */
  contentHash: string;
}

const TITLE_MAX = 300;
const SOURCE_MAX = 2000;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const megabytes = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

export const hashContent = (mimeType: string, content: Uint8Array) => createHash('sha256').update(mimeType).update('\0').update(content).digest('hex');

/**
 * Everything checked before a document is accepted, each failure BAD_USER_INPUT naming its
 * field: title and source, a supported type, exactly one of text and base64, valid base64, the
 * size limit, and content that can be read (text present; a PDF that opens).
 */
export async function validateIngestInput(input: IngestDocumentInput, maxBytes: number): Promise<ValidDocument> {
  const title = input.title.trim();
  if (title.length === 0 || title.length > TITLE_MAX) throw badUserInput(`Title must be 1 to ${TITLE_MAX} characters`, 'input.title');
  const source = input.source?.trim() || null;
  if (source && source.length > SOURCE_MAX) throw badUserInput(`Source must be at most ${SOURCE_MAX} characters`, 'input.source');
  const mimeType = normalizeMimeType(input.mimeType);
  if (!mimeType) {
    throw badUserInput(`Unsupported type "${input.mimeType.slice(0, 100)}"; supported: ${SUPPORTED_MIME_TYPES.join(', ')}`, 'input.mimeType', {
      supported: [...SUPPORTED_MIME_TYPES],
    });
  }
  const hasText = input.text !== null && input.text !== undefined;
  const hasBase64 = input.base64 !== null && input.base64 !== undefined;
  if (hasText === hasBase64) throw badUserInput('Give the content as either text or base64', hasText ? 'input.base64' : 'input.text');
  const field = hasText ? 'input.text' : 'input.base64';
  const tooLarge = () => badUserInput(`Documents may be at most ${megabytes(maxBytes)}`, field, { maxBytes });

  let content: Buffer;
  if (hasText) {
    if (mimeType === 'application/pdf') throw badUserInput('Send a PDF as base64', 'input.text');
    if (Buffer.byteLength(input.text!, 'utf8') > maxBytes) throw tooLarge();
    content = Buffer.from(input.text!, 'utf8');
  } else {
    const base64 = input.base64!.replace(/\s+/g, '');
    if (base64.length % 4 === 1 || !BASE64.test(base64)) throw badUserInput('base64 is not valid base64', 'input.base64');
    if (Math.floor((base64.length * 3) / 4) - (base64.match(/=+$/)?.[0].length ?? 0) > maxBytes) throw tooLarge();
    content = Buffer.from(base64, 'base64');
  }
  if (content.length === 0 || (mimeType !== 'application/pdf' && content.toString('utf8').trim() === '')) {
    throw badUserInput('The document is empty', field);
  }
  try {
    await checkContent(mimeType, content);
  } catch (error) {
    if (error instanceof ExtractionError) throw badUserInput(error.message, field);
    throw error;
  }
  return { title, source, mimeType, content, contentHash: hashContent(mimeType, content) };
}
