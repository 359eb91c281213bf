/**
 * BC-UR (Blockchain Commons Uniform Resources, BCR-2020-005) for the offline documents: the
 * document bytes as a `ur:bytes` resource, split into fountain-coded parts that an animated QR
 * code shows one per frame (qr-display.ts). Parts can also travel as text, one per line, which
 * is how `offline sign` reads them when no camera is at hand. Encoding, multipart sequencing,
 * fountain codes and the CRC32 checksums are the maintained `@ngraveio/bc-ur` library's.
 */
import { UR, URDecoder, UREncoder } from '@ngraveio/bc-ur';
import { ConclaveError } from '../../protocol/errors';
import type { DocumentCodes } from './documents';

/** Bytes per part: each frame stays a QR code a phone or webcam reads at terminal size. */
export const UR_FRAGMENT_BYTES = 200;
const MAX_PARTS = 100_000;

export function looksLikeUrParts(text: string): boolean {
  return /^\s*ur:/i.test(text);
}

/** A fountain encoder over the document: `pure` are the n parts that suffice in order; `next` goes on forever. */
export function urEncoder(bytes: Uint8Array, fragmentBytes = UR_FRAGMENT_BYTES): { pure: string[]; next: () => string } {
  const encoder = new UREncoder(UR.fromBuffer(Buffer.from(bytes)), fragmentBytes, 0);
  const pure = Array.from({ length: encoder.fragmentsLength }, () => encoder.nextPart());
  return { pure, next: () => encoder.nextPart() };
}

/** The parts that carry a document on their own (sequence 1..n), as lines of text. */
export function encodeUrParts(bytes: Uint8Array, fragmentBytes = UR_FRAGMENT_BYTES): string[] {
  return urEncoder(bytes, fragmentBytes).pure;
}

/**
 * The document bytes from UR parts, one per line, in any order, repeats and fountain parts
 * welcome. A damaged part (checksum) or a mix of two messages is INVALID; too few parts to
 * rebuild the message is TRUNCATED.
 */
export function decodeUrParts(text: string, what: string, codes: DocumentCodes): Uint8Array {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines.length > MAX_PARTS) throw new ConclaveError(codes.invalid, `${what}: more than ${MAX_PARTS} UR parts`);
  const decoder = new URDecoder();
  for (const [i, line] of lines.entries()) {
    // A scanner keeps reading frames after it has enough; what comes after is not needed.
    if (decoder.isComplete()) break;
    let accepted: boolean;
    try {
      accepted = decoder.receivePart(line.toLowerCase());
    } catch (error) {
      throw new ConclaveError(codes.invalid, `${what}: UR part ${i + 1} is damaged (${(error as Error).message})`);
    }
    if (!accepted) throw new ConclaveError(codes.invalid, `${what}: UR part ${i + 1} is not a part of the same ur:bytes message`);
    if (decoder.isError()) throw new ConclaveError(codes.invalid, `${what}: UR parts do not make one message (${decoder.resultError()})`);
  }
  if (!decoder.isComplete()) {
    const percent = Math.floor(decoder.estimatedPercentComplete() * 100);
    throw new ConclaveError(codes.truncated, `${what}: the UR parts are incomplete (${lines.length} read, about ${percent}% of the message): scan or copy the missing frames`);
  }
  if (!decoder.isSuccess()) throw new ConclaveError(codes.invalid, `${what}: UR parts do not make one message (${decoder.resultError()})`);
  const ur = decoder.resultUR();
  if (ur.type !== 'bytes') throw new ConclaveError(codes.invalid, `${what}: a ur:${ur.type}, expected ur:bytes`);
  try {
    return new Uint8Array(ur.decodeCBOR());
  } catch (error) {
    throw new ConclaveError(codes.invalid, `${what}: the UR payload is not a CBOR byte string (${(error as Error).message})`);
  }
}
