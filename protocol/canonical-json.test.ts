/**
 * RFC 8785 (JSON Canonicalization Scheme) as Conclave signs and hashes it: the examples of
 * sections 3.2.2 and 3.2.3, plus our refusal of values JSON cannot carry exactly.
 */
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalBytes, canonicalJson } from './canonical-json';
import { ConclaveError } from './errors';

function refusal(value: unknown): ConclaveError {
  try {
    canonicalJson(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConclaveError);
    return error as ConclaveError;
  }
  throw new Error('expected canonicalJson to refuse the value');
}

describe('RFC 8785 section 3.2.3: object members are sorted by UTF-16 code units', () => {
  test('the RFC sorting example comes out in the RFC order, emoji (U+D83D...) before U+FB33', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Code units: \r 000D < "1" 0031 < 0080 < 00F6 < 20AC < D83D (high surrogate of U+1F600) < FB33.
    // Sorting by code point instead would put the emoji last; only \r is escaped on output.
    const expected =
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control",' +
      '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
      '"\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
    expect(canonicalJson(input)).toBe(expected);
  });

  test('integer-like keys sort as strings ("10" before "9"), not in JavaScript property order', () => {
    expect(canonicalJson({ 9: 'nine', 10: 'ten', a: 'a' })).toBe('{"10":"ten","9":"nine","a":"a"}');
  });

  test('nested objects are sorted at every depth while arrays keep their order; no whitespace', () => {
    const value = { b: [3, { d: 1, c: null }, 'x'], a: { z: true, y: 's', x: [] }, A: {} };
    expect(canonicalJson(value)).toBe('{"A":{},"a":{"x":[],"y":"s","z":true},"b":[3,{"c":null,"d":1},"x"]}');
  });
});

describe('RFC 8785 section 3.2.2.2: string serialization', () => {
  test('the RFC 3.2.2 string example serializes exactly as the RFC shows', () => {
    const input = JSON.parse(String.raw`{"string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"}`) as unknown;
    expect(canonicalJson(input)).toBe(String.raw`{"string":"€$\u000f\nA'B\"\\\\\"/"}`);
  });

  test('control characters use the short escapes or lowercase \\u00xx', () => {
    expect(canonicalJson('\u0000\u0001\u001f')).toBe(String.raw`"\u0000\u0001\u001f"`);
    expect(canonicalJson('\b\t\n\f\r')).toBe(String.raw`"\b\t\n\f\r"`);
  });

  test('U+2028, U+2029, DEL, "/" and non-ASCII are left as they are', () => {
    const text = '\u2028\u2029\u007f/\u00e9\ud83d\ude00';
    expect(canonicalJson(text)).toBe(`"${text}"`);
  });

  test('canonicalBytes is the UTF-8 encoding of the canonical text', () => {
    expect(bytesToHex(canonicalBytes({ '\u20ac': 1 }))).toBe(bytesToHex(utf8ToBytes('{"€":1}')));
    expect(bytesToHex(canonicalBytes({ '\u20ac': 1 }))).toBe('7b22e282ac223a317d');
  });
});

describe('numbers', () => {
  test('safe integers serialize in ECMAScript form, -0 as 0', () => {
    expect(canonicalJson([0, -0, 1, -1, 1e15, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]))
      .toBe('[0,0,1,-1,1000000000000000,9007199254740991,-9007199254740991]');
  });
});

describe('refusals carry VALIDATION_FAILED and name the path', () => {
  test.each([
    ['a fraction', 1.5, 'only safe integers'],
    ['2^53', 2 ** 53, 'only safe integers'],
    ['NaN', Number.NaN, 'only safe integers'],
    ['Infinity', Number.POSITIVE_INFINITY, 'only safe integers'],
    ['undefined', undefined, 'undefined cannot be signed'],
    ['a function', () => 1, 'a function cannot be signed'],
    ['a bigint', 1n, 'a bigint cannot be signed'],
    ['a symbol', Symbol('s'), 'a symbol cannot be signed'],
    ['a lone high surrogate', 'x\ud800', 'lone surrogate'],
    ['a lone low surrogate', '\udc00', 'lone surrogate'],
  ])('%s deep inside is refused at $.a[1].b', (_name, bad, why) => {
    const error = refusal({ ok: 1, a: [0, { c: 'fine', b: bad }] });
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(/^\$\.a\[1\]\.b: /);
    expect(error.message).toContain(why);
  });

  test('a key with a lone surrogate is refused at its object', () => {
    const error = refusal({ a: [0, { ['\ud800b']: 1 }] });
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(/^\$\.a\[1\]: key "\\ud800b" has a lone surrogate/);
  });

  test('undefined in an array and at the top level are refused with their paths', () => {
    expect(refusal([1, undefined]).message).toMatch(/^\$\[1\]: /);
    expect(refusal(undefined).message).toMatch(/^\$: /);
    expect(refusal(undefined).code).toBe('VALIDATION_FAILED');
  });
});

describe('canonical form does not depend on key insertion order (seeded random objects)', () => {
  // mulberry32: a tiny deterministic PRNG, so a failure reproduces from its seed.
  function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const keyParts = ['a', 'b', 'B', '_', '1', '9', '10', ' ', '\r', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
  const stringParts = [...keyParts, '"', '\\', '\u001f', '\u2028', 'text'];

  function pick<T>(rand: () => number, items: readonly T[]): T {
    return items[Math.floor(rand() * items.length)]!;
  }

  function randomString(rand: () => number, parts: readonly string[]): string {
    const length = 1 + Math.floor(rand() * 3);
    return Array.from({ length }, () => pick(rand, parts)).join('');
  }

  function randomValue(rand: () => number, depth: number): unknown {
    const kind = Math.floor(rand() * (depth > 0 ? 7 : 5));
    switch (kind) {
      case 0: return null;
      case 1: return rand() < 0.5;
      case 2: return Math.floor((rand() - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
      case 3: return Math.floor(rand() * 100);
      case 4: return randomString(rand, stringParts);
      case 5: return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth - 1));
      default: {
        const object: Record<string, unknown> = {};
        const size = Math.floor(rand() * 6);
        for (let i = 0; i < size; i++) object[randomString(rand, keyParts)] = randomValue(rand, depth - 1);
        return object;
      }
    }
  }

  /** Rebuilds every object with its keys inserted in a shuffled order. */
  function reinsert(rand: () => number, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => reinsert(rand, item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, reinsert(rand, item)]));
  }

  test('300 random nested objects canonicalize identically after reshuffling, and round-trip', () => {
    const rand = prng(0xc0c1a7e);
    let reordered = 0;
    for (let i = 0; i < 300; i++) {
      const value = { root: randomValue(rand, 4), other: randomValue(rand, 3) };
      const shuffled = reinsert(rand, value);
      if (JSON.stringify(shuffled) !== JSON.stringify(value)) reordered++;
      const text = canonicalJson(value);
      expect(canonicalJson(shuffled)).toBe(text);
      expect(JSON.parse(text)).toEqual(value);
      expect(canonicalJson(JSON.parse(text))).toBe(text);
    }
    // Guard against a generator that never actually changes the insertion order.
    expect(reordered).toBeGreaterThan(150);
  });
});

describe('canonicalJson refuses what JSON would silently change', () => {
  it.each([
    ['a Map', new Map([['a', 1]])],
    ['a Set', new Set([1])],
    ['a Date', new Date(0)],
  ])('refuses %s instead of signing something else', (_name, value) => {
    expect(() => canonicalJson({ nested: value })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining('$.nested') }));
  });
});
