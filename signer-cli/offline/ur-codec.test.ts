/** BC-UR parts of an offline document: round trip in any order, and truncated, damaged or mixed part sets refused. */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { ConclaveError } from '../../protocol/errors';
import { sampleRequest } from './offline-fixture';
import { qrFrame } from './qr-display';
import { decodeRequest, encodeRequest } from './request-bundle';
import { decodeUrParts, encodeUrParts, urEncoder } from './ur-codec';

const CODES = { invalid: 'OFFLINE_BUNDLE_INVALID', truncated: 'OFFLINE_BUNDLE_TRUNCATED' } as const;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
  throw new Error('expected a ConclaveError');
}

describe('BC-UR parts', () => {
  const text = encodeRequest(sampleRequest());
  const bytes = utf8ToBytes(text);

  it('carries a bundle in ur:bytes parts that decode back to the same bundle', () => {
    const parts = encodeUrParts(bytes);
    expect(parts.length).toBeGreaterThan(5);
    for (const [i, part] of parts.entries()) expect(part).toMatch(new RegExp(`^ur:bytes/${i + 1}-${parts.length}/[a-z]+$`));
    expect(decodeRequest(parts.join('\n'))).toEqual(sampleRequest());
    // Upper case, as a QR code carries it, and Windows line ends.
    expect(decodeRequest(parts.map((p) => p.toUpperCase()).join('\r\n'))).toEqual(sampleRequest());
  });

  it('decodes parts in any order, with repeats and fountain parts in place of a lost one', () => {
    const encoder = urEncoder(bytes);
    const fountain = Array.from({ length: encoder.pure.length * 2 }, () => encoder.next()).slice(encoder.pure.length);
    const shuffled = [...encoder.pure.slice(1)].reverse();
    const decoded = decodeUrParts([...shuffled, shuffled[0]!, ...fountain].join('\n'), 'bundle', CODES);
    expect(new TextDecoder().decode(decoded)).toBe(text);
  });

  it('refuses a part set with a part missing as truncated', () => {
    const parts = encodeUrParts(bytes);
    expect(codeOf(() => decodeRequest(parts.slice(0, -1).join('\n')))).toBe('OFFLINE_BUNDLE_TRUNCATED');
    expect(codeOf(() => decodeRequest([...parts.slice(0, 2), ...parts.slice(3)].join('\n')))).toBe('OFFLINE_BUNDLE_TRUNCATED');
  });

  it('refuses a damaged part, and parts of two messages mixed', () => {
    const parts = encodeUrParts(bytes);
    const damaged = [...parts];
    const target = damaged[2]!;
    const at = target.length - 12;
    damaged[2] = `${target.slice(0, at)}${target[at] === 'a' ? 'e' : 'a'}${target.slice(at + 1)}`;
    expect(codeOf(() => decodeRequest(damaged.join('\n')))).toBe('OFFLINE_BUNDLE_INVALID');
    const other = encodeUrParts(utf8ToBytes(encodeRequest({ ...sampleRequest(), exportedAt: '2026-11-23T09:00:00.000Z' })));
    expect(codeOf(() => decodeRequest([parts[0]!, other[1]!].join('\n')))).toBe('OFFLINE_BUNDLE_INVALID');
    expect(codeOf(() => decodeRequest('ur:bytes/not-a-part'))).toBe('OFFLINE_BUNDLE_INVALID');
  });

  it('refuses tampered content carried in valid parts: the bundle hash catches it', () => {
    const tampered = text.replace('"fee":"282"', '"fee":"999"');
    expect(tampered).not.toBe(text);
    expect(codeOf(() => decodeRequest(encodeUrParts(utf8ToBytes(tampered)).join('\n')))).toBe('OFFLINE_BUNDLE_INVALID');
  });

  it('draws a part as a terminal QR code', async () => {
    const frame = await qrFrame(encodeUrParts(bytes)[0]!);
    expect(frame.split('\n').length).toBeGreaterThan(20);
    expect(frame).toMatch(/[▀▄█]/);
  });
});
