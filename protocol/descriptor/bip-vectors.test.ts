/**
 * Drives every row of the BIP380 (checksums, key expressions), BIP383 (multi/sortedmulti),
 * BIP386 (tr) and BIP389 (multipath) test-vector lists, read unchanged from the shared
 * vectors folder. The mediawiki lists are parsed here: `* label: <tt>value</tt>` rows with
 * `** <tt>expected</tt>` sub-rows, grouped by the line that introduces each list.
 */
import { ConclaveError, type ErrorCode } from '../errors';
import { describeWithVectors, readVector } from '../../test/vectors/locate';
import {
  descriptorOutputScript, descriptorToString, expandMultipath, isRangeDescriptor, keyExpressionToString,
  parseDescriptor, parseKeyExpression, stripChecksum,
} from './index';

interface VectorRow {
  /** The sentence that introduces the list ("Valid expressions:", "Invalid descriptors"). */
  section: string;
  /** Text before the value, tags stripped ("Too short fingerprint"). */
  label: string;
  value: string;
  /** The `**` sub-rows: expected scripts or expansions. */
  expected: string[];
  line: number;
}

/** The bulleted rows of a BIP's `==Test Vectors==` section. */
function vectorRows(mediawiki: string): VectorRow[] {
  const rows: VectorRow[] = [];
  let section = '';
  const lines = mediawiki.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    if (/^==[^=].*==$/.test(line) && !/Test Vectors/.test(line)) break; // the next section of the BIP
    const tt = [...line.matchAll(/<tt>(.*?)<\/tt>/g)];
    if (line.startsWith('** ')) {
      if (rows.length === 0 || tt.length !== 1) throw new Error(`line ${i + 1}: unexpected sub-row`);
      rows[rows.length - 1].expected.push(tt[0][1]);
    } else if (line.startsWith('* ')) {
      if (tt.length === 0) throw new Error(`line ${i + 1}: row without a <tt> value`);
      const last = tt[tt.length - 1];
      const label = line.slice(2, last.index).replace(/<\/?tt>/g, '').replace(/:\s*$/, '').trim();
      rows.push({ section, label, value: last[1], expected: [], line: i + 1 });
    } else if (line.trim() !== '' && !line.startsWith('=')) {
      section = line.trim();
    }
  }
  return rows;
}

function thrown(fn: () => unknown): ConclaveError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConclaveError) return e;
    throw e; // anything else is a crash, not a clear error (DESIGN.md invariant 7)
  }
  throw new Error('expected a ConclaveError, but nothing was thrown');
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const short = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}...` : s);
const rowName = (r: VectorRow): string => `line ${r.line}: ${r.label || short(r.value)}`;
const PARSE_ERRORS: ErrorCode[] = ['DESCRIPTOR_INVALID', 'KEY_INVALID'];

/** An invalid row must be refused for what is wrong with it, not because a feature is missing. */
function expectRejected(text: string): void {
  const err = thrown(() => parseDescriptor(text));
  expect(PARSE_ERRORS).toContain(err.code);
  expect(err.message).not.toMatch(/not supported|unknown script expression/);
}

/** Valid rows: the text round-trips and each expected script matches (index 0, 1, 2 when ranged). */
function expectScripts(row: VectorRow): void {
  const d = parseDescriptor(row.value);
  expect(descriptorToString(d, { checksum: false })).toBe(row.value);
  expect(parseDescriptor(descriptorToString(d), { requireChecksum: true })).toEqual(d);
  if (row.expected.length === 0) return;
  expect(row.expected.length).toBe(isRangeDescriptor(d) ? 3 : 1);
  row.expected.forEach((script, index) => expect(hex(descriptorOutputScript(d, index))).toBe(script));
}

function byValidity(rows: VectorRow[]): { valid: VectorRow[]; invalid: VectorRow[] } {
  const valid = rows.filter((r) => /^Valid/i.test(r.section));
  const invalid = rows.filter((r) => /^Invalid/i.test(r.section));
  expect(valid.length + invalid.length).toBe(rows.length); // every row is one or the other
  return { valid, invalid };
}

describeWithVectors('BIP380 test vectors', (dir) => {
  const rows = vectorRows(readVector(dir, 'bip0380-test-vectors.mediawiki'));
  const checksumRows = rows.filter((r) => /checksum/.test(r.section));
  const keyRows = rows.filter((r) => !checksumRows.includes(r));

  // raw() (BIP385) itself is out of scope; these rows are about the checksum layer, which is
  // what stripChecksum implements. Expectations by row label, since the list mixes both kinds.
  const checksumExpectations: Record<string, { optional: ErrorCode | null; required: ErrorCode | null }> = {
    'Valid checksum': { optional: null, required: null },
    'No checksum': { optional: null, required: 'DESCRIPTOR_CHECKSUM' },
    'Missing checksum': { optional: 'DESCRIPTOR_CHECKSUM', required: 'DESCRIPTOR_CHECKSUM' },
    'Too long checksum (9 chars)': { optional: 'DESCRIPTOR_CHECKSUM', required: 'DESCRIPTOR_CHECKSUM' },
    'Too short checksum (7 chars)': { optional: 'DESCRIPTOR_CHECKSUM', required: 'DESCRIPTOR_CHECKSUM' },
    'Error in payload': { optional: 'DESCRIPTOR_CHECKSUM', required: 'DESCRIPTOR_CHECKSUM' },
    'Error in checksum': { optional: 'DESCRIPTOR_CHECKSUM', required: 'DESCRIPTOR_CHECKSUM' },
    'Invalid characters in payload': { optional: 'DESCRIPTOR_INVALID', required: 'DESCRIPTOR_INVALID' },
  };

  it('has the checksum and key-expression rows', () => {
    expect(checksumRows.length).toBe(Object.keys(checksumExpectations).length);
    expect(keyRows.length).toBeGreaterThan(30);
  });

  it.each(checksumRows.map((r) => [rowName(r), r] as const))('checksum %s', (_name, row) => {
    const expectation = checksumExpectations[row.label];
    expect(expectation).toBeDefined();
    for (const requireChecksum of [false, true]) {
      const code = requireChecksum ? expectation.required : expectation.optional;
      if (code === null) expect(stripChecksum(row.value, { requireChecksum }).body).toBe(row.value.split('#')[0]);
      else expect(thrown(() => stripChecksum(row.value, { requireChecksum })).code).toBe(code);
    }
  });

  const { valid, invalid } = byValidity(keyRows);

  it.each(valid.map((r) => [rowName(r), r] as const))('valid key: %s', (_name, row) => {
    const key = parseKeyExpression(row.value);
    expect(keyExpressionToString(key)).toBe(row.value);
    // As pk(KEY) it derives, except a hardened step below a public extended key, which
    // parses (the vector says so) but has no public derivation.
    const d = parseDescriptor(`pk(${row.value})`);
    const hardenedFromPublic = key.type === 'extended' && key.hdkey.privateKey === null
      && (key.wildcard === 'hardened' || key.steps.some((s) => s.values[0] >= 0x80000000));
    if (hardenedFromPublic) expect(thrown(() => descriptorOutputScript(d, 0)).code).toBe('DESCRIPTOR_INVALID');
    else expect(descriptorOutputScript(d, 0).length).toBeGreaterThan(0);
  });

  it.each(invalid.map((r) => [rowName(r), r] as const))('invalid key: %s', (_name, row) => {
    expect(thrown(() => parseKeyExpression(row.value)).code).toBe('KEY_INVALID');
    expectRejected(`pk(${row.value})`);
  });
});

describeWithVectors('BIP383 test vectors (multi, sortedmulti)', (dir) => {
  const { valid, invalid } = byValidity(vectorRows(readVector(dir, 'bip0383-test-vectors.mediawiki')));
  it('has valid and invalid rows', () => {
    expect(valid.length).toBeGreaterThan(5);
    expect(invalid.length).toBeGreaterThan(3);
  });
  it.each(valid.map((r) => [rowName(r), r] as const))('valid: %s', (_name, row) => expectScripts(row));
  it.each(invalid.map((r) => [rowName(r), r] as const))('invalid: %s', (_name, row) => expectRejected(row.value));
});

describeWithVectors('BIP386 test vectors (tr)', (dir) => {
  const { valid, invalid } = byValidity(vectorRows(readVector(dir, 'bip0386-test-vectors.mediawiki')));
  it('has valid and invalid rows', () => {
    expect(valid.length).toBeGreaterThan(4);
    expect(invalid.length).toBeGreaterThan(3);
  });
  it.each(valid.map((r) => [rowName(r), r] as const))('valid: %s', (_name, row) => expectScripts(row));
  it.each(invalid.map((r) => [rowName(r), r] as const))('invalid: %s', (_name, row) => expectRejected(row.value));
});

describeWithVectors('BIP389 test vectors (multipath)', (dir) => {
  const { valid, invalid } = byValidity(vectorRows(readVector(dir, 'bip0389-test-vectors.mediawiki')));
  it('has valid and invalid rows', () => {
    expect(valid.length).toBeGreaterThan(4);
    expect(invalid.length).toBeGreaterThan(6);
  });
  it.each(valid.map((r) => [rowName(r), r] as const))('valid: %s', (_name, row) => {
    const d = parseDescriptor(row.value);
    expect(descriptorToString(d, { checksum: false })).toBe(row.value);
    const expansions = expandMultipath(d);
    expect(expansions.map((e) => descriptorToString(e, { checksum: false }))).toEqual(row.expected);
    // Expanding and parsing the expansion text give the same scripts.
    expansions.forEach((e, i) => {
      expect(hex(descriptorOutputScript(e, 0))).toBe(hex(descriptorOutputScript(parseDescriptor(row.expected[i]), 0)));
    });
    expect(thrown(() => descriptorOutputScript(d, 0)).code).toBe('DESCRIPTOR_INVALID');
  });
  it.each(invalid.map((r) => [rowName(r), r] as const))('invalid: %s', (_name, row) => expectRejected(row.value));
});
