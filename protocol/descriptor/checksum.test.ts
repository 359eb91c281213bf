/**
 * BIP380 checksum helpers beyond the upstream rows (those run in bip-vectors.test.ts):
 * round trips, and which error code each kind of damage gets.
 */
import { ConclaveError } from '../errors';
import { addChecksum, descriptorChecksum, stripChecksum } from './checksum';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConclaveError) return e.code;
    throw e;
  }
  throw new Error('expected a ConclaveError');
}

describe('BIP380 descriptor checksum', () => {
  const body = 'wpkh([d34db33f/84h/0h/0h]xpub6DJ2dNUysrn5Vt36jH2KLBT2i1auw1tTSSomg8PhqNiUtx8QX2SvC9nrHu81fT41fvDUnhMjEzQgXnQjKEu3oaqMSzhSrHMxyyoEAmUHQbY/0/*)';

  it('adds a checksum that stripChecksum verifies and removes', () => {
    const text = addChecksum(body);
    expect(text).toMatch(/#[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{8}$/);
    expect(stripChecksum(text, { requireChecksum: true })).toEqual({ body, checksum: descriptorChecksum(body) });
  });

  it('detects every single-character change of the body', () => {
    const text = addChecksum(body);
    const checksum = text.slice(-8);
    for (let i = 0; i < body.length; i += 7) {
      const altered = body.slice(0, i) + (body[i] === 'a' ? 'b' : 'a') + body.slice(i + 1);
      expect(codeOf(() => stripChecksum(`${altered}#${checksum}`))).toBe('DESCRIPTOR_CHECKSUM');
    }
  });

  it('detects a case change, which the BIP380 character classes exist for', () => {
    const text = addChecksum(body);
    expect(codeOf(() => stripChecksum(text.replace('xpub', 'XPUB')))).toBe('DESCRIPTOR_CHECKSUM');
  });

  it('refuses a missing checksum only when one is required', () => {
    expect(stripChecksum(body)).toEqual({ body });
    expect(codeOf(() => stripChecksum(body, { requireChecksum: true }))).toBe('DESCRIPTOR_CHECKSUM');
  });

  it('gives DESCRIPTOR_CHECKSUM for damage after the # and DESCRIPTOR_INVALID for the payload', () => {
    const checksum = descriptorChecksum(body);
    expect(codeOf(() => stripChecksum(`${body}#${checksum.slice(1)}`))).toBe('DESCRIPTOR_CHECKSUM');
    expect(codeOf(() => stripChecksum(`${body}#${checksum}#${checksum}`))).toBe('DESCRIPTOR_CHECKSUM');
    expect(codeOf(() => stripChecksum(`${body}\n#${checksum}`))).toBe('DESCRIPTOR_INVALID');
    expect(codeOf(() => descriptorChecksum('pk(é)'))).toBe('DESCRIPTOR_INVALID');
  });

  it('says which checksum it expected', () => {
    const wrong = 'qqqqqqqq';
    expect(() => stripChecksum(`${body}#${wrong}`)).toThrow(`checksum '${wrong}' does not match the computed checksum '${descriptorChecksum(body)}'`);
  });

  it('will not add a second checksum', () => {
    expect(codeOf(() => addChecksum(addChecksum(body)))).toBe('DESCRIPTOR_CHECKSUM');
  });
});
