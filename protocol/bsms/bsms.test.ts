/**
 * BIP129 setup as Conclave runs it (a 2-of-3 testnet vault in each encryption mode), and the
 * refusals: wrong token, altered ciphertext or MAC, SIG by another key, an attacker's key
 * swapped in, a descriptor without the signer's key, a first address that does not match,
 * unacceptable path restrictions, keys of the wrong network, an expired session.
 */
import { HDKey } from '@scure/bip32';
import { hexToBytes } from '@noble/hashes/utils.js';
import type { KeyOrigin } from '../api';
import { ConclaveError } from '../errors';
import { networkParams, type NetworkName } from '../network';
import { addChecksum, descriptorHash, deriveVaultScript, formatVaultDescriptor, type MultisigVaultDescriptor } from '../descriptor';
import {
  accountKeyFromKeyRecord, assertSessionOpen, BSMS_MODES, checkDescriptorRecord, createBsmsSession, createDescriptorRecord,
  decryptRecord, decryptRecordBytes, deriveBsmsKeys, descriptorRecordFor, encryptRecord, formatKeyRecord, generateToken,
  isExpired, joinBsmsSession, keyRecordKey, openRecord, parseKeyRecord, parseToken, readBsmsFile, sealRecord, signKeyRecord,
  signMessage, tokenFromDecimal, tokenFromMnemonic, tokenToMnemonic, vaultFromDescriptorRecord, writeBsmsFile,
  type BsmsMode, type KeyRecordFields,
} from './index';

interface Keyholder { origin: KeyOrigin; privateKey: Uint8Array; key: string }

/** A BIP48 P2WSH account key of a throwaway master (seed = `seedByte` repeated). */
function keyholder(seedByte: number, network: NetworkName = 'testnet'): Keyholder {
  const params = networkParams(network);
  const master = HDKey.fromMasterSeed(new Uint8Array(32).fill(seedByte), params.bip32);
  const path = `m/48'/${params.coinType}'/0'/2'`;
  const account = master.derive(path);
  const origin = { fingerprint: master.fingerprint.toString(16).padStart(8, '0'), path: path.slice(2).replace(/'/g, 'h'), xpub: account.publicExtendedKey };
  return { origin, privateKey: account.privateKey as Uint8Array, key: keyRecordKey(origin) };
}

const alice = keyholder(1);
const bob = keyholder(2);
const carol = keyholder(3);
const mallory = keyholder(66);
const vault: MultisigVaultDescriptor = { kind: 'wsh-sortedmulti', network: 'testnet', threshold: 2, keys: [alice, bob, carol].map((k) => k.origin) };

/** Deterministic stand-in for a CSPRNG. */
function counterRandom(start = 1): (n: number) => Uint8Array {
  let next = start;
  return (n) => Uint8Array.from({ length: n }, () => next++ & 0xff);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConclaveError) return e.code;
    throw e; // a crash, not a clear error (DESIGN.md invariant 7)
  }
  throw new Error('expected a ConclaveError, but nothing was thrown');
}

const now = new Date('2026-03-01T12:00:00.000Z');
const fields = (k: Keyholder, token: string, description = 'Alice, desk drawer'): KeyRecordFields => ({ token, key: k.key, description });
const flipHex = (hex: string, at: number): string => hex.slice(0, at) + ((parseInt(hex[at], 16) ^ 1).toString(16)) + hex.slice(at + 1);
const replaceLine = (text: string, line: number, value: string): string => text.split('\n').map((l, i) => (i === line - 1 ? value : l)).join('\n');

describe('BSMS setup of a Conclave vault, end to end', () => {
  for (const mode of BSMS_MODES) {
    it(`2-of-3 on testnet with ${mode}: every signer confirms the same vault`, () => {
      const random = counterRandom();
      // EXTENDED: one token (one session) per signer; otherwise one shared session.
      const shared = createBsmsSession({ mode, now, randomBytes: random });
      const sessions = [alice, bob, carol].map(() => (mode === 'EXTENDED' ? createBsmsSession({ mode, now, randomBytes: random }) : shared));

      // Round 1: each signer joins with its token and sends its sealed key record.
      const sent = [alice, bob, carol].map((k, i) => {
        const mine = joinBsmsSession(sessions[i].token, { now });
        return sealRecord(mine.token, signKeyRecord(fields(k, mine.token), k.privateKey));
      });
      if (mode !== 'NO_ENCRYPTION') expect(sent.every((s) => /^[0-9a-f]+$/.test(s))).toBe(true);

      // The opening keyholder's CLI (BIP129's Coordinator) opens, verifies and builds the vault.
      const keys = sent.map((data, i) => {
        assertSessionOpen(sessions[i], now);
        const record = parseKeyRecord(openRecord(sessions[i].token, data), { token: sessions[i].token, requireSignature: true });
        return accountKeyFromKeyRecord(record, 'testnet');
      });
      const built: MultisigVaultDescriptor = { kind: 'wsh-sortedmulti', network: 'testnet', threshold: 2, keys };
      const descriptorRecord = descriptorRecordFor(built);

      // Round 2: each signer opens the record sealed with its token, checks it, and pins the vault.
      [alice, bob, carol].forEach((k, i) => {
        const received = openRecord(sessions[i].token, sealRecord(sessions[i].token, descriptorRecord));
        const confirmation = checkDescriptorRecord(received, { network: 'testnet', ownKey: k.key });
        expect(confirmation).toMatchObject({ threshold: 2, keyCount: 3, positions: [i + 1], pathRestrictions: '/0/*,/1/*', scriptType: 'wsh', sorted: true });
        expect(confirmation.firstAddress).toBe(deriveVaultScript(vault, 0, 0).address);
        expect(descriptorHash(vaultFromDescriptorRecord(received, 'testnet'))).toBe(descriptorHash(vault));
      });
    });
  }

  it('the vault record agrees with the generic BIP129 derivation of its template', () => {
    const text = descriptorRecordFor(vault);
    const [, template, restrictions] = text.split('\n');
    expect(template).toBe(`wsh(sortedmulti(2,${[alice, bob, carol].map((k) => `${k.key}/**`).join(',')}))`);
    expect(template).toContain("/48'/1'/0'/2']tpub");
    expect(createDescriptorRecord(template, restrictions.split(','), 'testnet')).toBe(text);
  });

  it('accepts the concrete <0;1>/* form other wallets may send, with or without restrictions', () => {
    const descriptor = formatVaultDescriptor(vault);
    const address = deriveVaultScript(vault, 0, 0).address;
    for (const restrictions of ['No path restrictions', '/0/*,/1/*']) {
      const text = ['BSMS 1.0', descriptor, restrictions, address].join('\n');
      expect(checkDescriptorRecord(text, { network: 'testnet', ownKey: bob.key }).positions).toEqual([2]);
      expect(formatVaultDescriptor(vaultFromDescriptorRecord(text, 'testnet'))).toBe(descriptor);
    }
  });
});

describe('tokens', () => {
  it('are 8 or 16 random bytes in hex, or 00 without encryption', () => {
    const calls: number[] = [];
    const random = (n: number): Uint8Array => {
      calls.push(n);
      return new Uint8Array(n).fill(0xab);
    };
    expect(generateToken('STANDARD', random)).toBe('ab'.repeat(8));
    expect(generateToken('EXTENDED', random)).toBe('ab'.repeat(16));
    expect(generateToken('NO_ENCRYPTION', random)).toBe('00');
    expect(calls).toEqual([8, 16]);
  });

  it('refuse a broken random source', () => {
    expect(() => generateToken('STANDARD', (n) => new Uint8Array(n))).toThrow(RangeError);
    expect(() => generateToken('EXTENDED', () => new Uint8Array(8).fill(1))).toThrow(RangeError);
  });

  it('parse as typed, to canonical lowercase hex with their mode', () => {
    expect(parseToken('0x00')).toEqual({ token: '00', mode: 'NO_ENCRYPTION' });
    expect(parseToken(' A54044308CEAC9B7 ')).toEqual({ token: 'a54044308ceac9b7', mode: 'STANDARD' });
    expect(parseToken('108a2360adb302774eb521daebbeda5e').mode).toBe('EXTENDED');
    for (const bad of ['', '01', '0', 'a54044308ceac9b', 'a54044308ceac9b7aa', 'zz54044308ceac9b7', '1'.repeat(64)]) {
      expect(codeOf(() => parseToken(bad))).toBe('BSMS_TOKEN_INVALID');
    }
  });

  it('refuse decimal forms above the nonce size and mnemonics with a wrong word', () => {
    expect(tokenFromDecimal('18446744073709551615', 'STANDARD')).toBe('ff'.repeat(8));
    expect(codeOf(() => tokenFromDecimal('18446744073709551616', 'STANDARD'))).toBe('BSMS_TOKEN_INVALID');
    expect(tokenFromDecimal('18446744073709551616', 'EXTENDED')).toBe(`0000000000000001${'00'.repeat(8)}`);
    expect(codeOf(() => tokenFromMnemonic('pipe acquire around border prosper swim'))).toBe('BSMS_TOKEN_INVALID');
    expect(codeOf(() => tokenToMnemonic('108a2360adb302774eb521daebbeda5e'))).toBe('BSMS_TOKEN_INVALID');
  });
});

describe('sessions', () => {
  const session = createBsmsSession({ mode: 'STANDARD', now, randomBytes: counterRandom() });

  it('expire after 24 hours by default, by the injected clock', () => {
    expect(session.expiresAt).toBe('2026-03-02T12:00:00.000Z');
    expect(isExpired(session, new Date('2026-03-02T11:59:59.999Z'))).toBe(false);
    expect(isExpired(session, new Date('2026-03-02T12:00:00.000Z'))).toBe(true);
  });

  it('an expired session refuses to go on', () => {
    expect(() => assertSessionOpen(session, new Date('2026-03-01T13:00:00Z'))).not.toThrow();
    expect(codeOf(() => assertSessionOpen(session, new Date('2026-03-03T00:00:00Z')))).toBe('BSMS_SESSION_EXPIRED');
  });

  it('fail closed on an unreadable expiry, and refuse windows beyond a week', () => {
    expect(isExpired({ ...session, expiresAt: 'tomorrow' }, now)).toBe(true);
    expect(codeOf(() => createBsmsSession({ mode: 'STANDARD', now, randomBytes: counterRandom(), ttlSeconds: 8 * 86400 }))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => joinBsmsSession(session.token, { now, expiresAt: '2027-01-01T00:00:00Z' }))).toBe('VALIDATION_FAILED');
    expect(joinBsmsSession(session.token, { now, expiresAt: session.expiresAt })).toEqual(session);
  });
});

describe('encryption refusals', () => {
  const token = 'a54044308ceac9b7';
  const record = signKeyRecord(fields(alice, token), alice.privateKey);
  const sealed = encryptRecord(token, record);

  it('a wrong token does not open the record', () => {
    expect(codeOf(() => decryptRecord('a54044308ceac9b6', sealed))).toBe('BSMS_DECRYPT');
    expect(codeOf(() => decryptRecord('108a2360adb302774eb521daebbeda5e', sealed))).toBe('BSMS_DECRYPT');
  });

  it('altered ciphertext is refused, wherever the bit flips', () => {
    for (const at of [64, 65, 100, sealed.length - 1]) expect(codeOf(() => decryptRecord(token, flipHex(sealed, at)))).toBe('BSMS_DECRYPT');
    expect(codeOf(() => decryptRecord(token, sealed.slice(0, -2)))).toBe('BSMS_DECRYPT');
    expect(codeOf(() => decryptRecord(token, `${sealed}00`))).toBe('BSMS_DECRYPT');
  });

  it('an altered MAC (and so IV) is refused', () => {
    for (const at of [0, 31, 32, 63]) expect(codeOf(() => decryptRecord(token, flipHex(sealed, at)))).toBe('BSMS_DECRYPT');
  });

  it('malformed data is a clear error, not a crash', () => {
    expect(codeOf(() => decryptRecord(token, sealed.slice(0, 64)))).toBe('BSMS_RECORD_INVALID');
    expect(codeOf(() => decryptRecord(token, 'not hex'))).toBe('BSMS_RECORD_INVALID');
    expect(codeOf(() => decryptRecord(token, 'abc'))).toBe('BSMS_RECORD_INVALID');
    expect(codeOf(() => deriveBsmsKeys('00'))).toBe('BSMS_TOKEN_INVALID');
    expect(codeOf(() => encryptRecord(token, ''))).toBe('BSMS_RECORD_INVALID');
  });

  it('is deterministic for a token and record, and opens in all three modes', () => {
    expect(encryptRecord(token, record)).toBe(sealed);
    for (const t of ['00', token, '108a2360adb302774eb521daebbeda5e']) expect(openRecord(t, sealRecord(t, record))).toBe(record);
    expect(sealRecord('00', record)).toBe(record);
  });
});

describe('.bsms and .dat files', () => {
  const token = 'd3fabc873b98165254fe18a71b5335b0';
  const record = signKeyRecord(fields(bob, token, 'Bob'), bob.privateKey);

  it('write .dat hex with encryption and .bsms text without', () => {
    expect(writeBsmsFile(record, token)).toEqual({ extension: '.dat', text: encryptRecord(token, record) });
    expect(writeBsmsFile(record, '00')).toEqual({ extension: '.bsms', text: record });
  });

  it('read hex, raw bytes (as Coldcard writes .dat) and text with CRLF and a final newline', () => {
    const hex = encryptRecord(token, record);
    expect(readBsmsFile(`${hex.toUpperCase()}\n`, token)).toEqual({ kind: 'key', encrypted: true, record });
    expect(readBsmsFile(hexToBytes(hex), token)).toEqual({ kind: 'key', encrypted: true, record });
    expect(decryptRecordBytes(token, hexToBytes(hex))).toBe(record);
    const unsigned = formatKeyRecord(fields(bob, '00', 'Bob'));
    const crlf = `${unsigned.replace(/\n/g, '\r\n')}\r\n`;
    const read = readBsmsFile(new TextEncoder().encode(crlf), '00');
    expect(read.kind).toBe('key');
    expect(parseKeyRecord(read.record)).toMatchObject({ signed: false, description: 'Bob' });
    expect(readBsmsFile(descriptorRecordFor(vault), '00').kind).toBe('descriptor');
  });

  it('refuse a plaintext record in an encrypted session, and encrypted data without a token', () => {
    expect(codeOf(() => readBsmsFile(record, token))).toBe('BSMS_DECRYPT');
    expect(codeOf(() => readBsmsFile(encryptRecord(token, record), '00'))).toBe('BSMS_RECORD_INVALID');
    expect(codeOf(() => readBsmsFile('hello', '00'))).toBe('BSMS_RECORD_INVALID');
    expect(codeOf(() => readBsmsFile(encryptRecord(token, record), '78a7d5e7549453d719150de5459c9ce5'))).toBe('BSMS_DECRYPT');
  });
});

describe('key record refusals', () => {
  const token = 'a54044308ceac9b7';
  const signed = signKeyRecord(fields(alice, token), alice.privateKey);

  it('round-trips, and reports an absent SIG as signed: false', () => {
    expect(parseKeyRecord(signed, { token })).toMatchObject({ signed: true, xpub: alice.origin.xpub, fingerprint: alice.origin.fingerprint });
    const unsigned = signed.split('\n').slice(0, 4).join('\n');
    expect(parseKeyRecord(unsigned)).toMatchObject({ signed: false });
    expect(codeOf(() => parseKeyRecord(unsigned, { requireSignature: true }))).toBe('BSMS_SIGNATURE_INVALID');
  });

  it('a SIG by another key is refused', () => {
    const text = [signed.split('\n').slice(0, 4).join('\n'), signMessage(signed.split('\n').slice(0, 4).join('\n'), mallory.privateKey)].join('\n');
    expect(codeOf(() => parseKeyRecord(text))).toBe('BSMS_SIGNATURE_INVALID');
  });

  it("an attacker's xpub swapped in for a member's, keeping the member's SIG, is refused", () => {
    expect(codeOf(() => parseKeyRecord(replaceLine(signed, 3, mallory.key)))).toBe('BSMS_SIGNATURE_INVALID');
    // ...and so is any other edit under the SIG: the description, the token.
    expect(codeOf(() => parseKeyRecord(replaceLine(signed, 4, 'Alice, safe')))).toBe('BSMS_SIGNATURE_INVALID');
    expect(codeOf(() => parseKeyRecord(replaceLine(signed, 2, 'a54044308ceac9b6')))).toBe('BSMS_SIGNATURE_INVALID');
  });

  it('a SIG that is not a 65-byte legacy signature is refused', () => {
    for (const sig of ['not base64!', Buffer.alloc(64, 1).toString('base64'), Buffer.alloc(65, 1).toString('base64')]) {
      expect(codeOf(() => parseKeyRecord(replaceLine(signed, 5, sig)))).toBe('BSMS_SIGNATURE_INVALID');
    }
  });

  it('a record for another session is refused', () => {
    expect(codeOf(() => parseKeyRecord(signed, { token: 'a54044308ceac9b6' }))).toBe('BSMS_RECORD_INVALID');
  });

  it('malformed records are refused with where and what', () => {
    expect(codeOf(() => parseKeyRecord(replaceLine(signed, 1, 'BSMS 2.0')))).toBe('BSMS_RECORD_INVALID');
    expect(codeOf(() => parseKeyRecord(`${signed}\nextra`))).toBe('BSMS_RECORD_INVALID');
    expect(codeOf(() => formatKeyRecord(fields(alice, token, 'x'.repeat(81))))).toBe('BSMS_RECORD_INVALID');
    expect(codeOf(() => formatKeyRecord(fields(alice, token, 'bell\u0007')))).toBe('BSMS_RECORD_INVALID');
    expect(codeOf(() => formatKeyRecord({ token, key: alice.origin.xpub, description: '' }))).toBe('KEY_INVALID');
    expect(codeOf(() => formatKeyRecord({ token, key: `${alice.key}/0/*`, description: '' }))).toBe('KEY_INVALID');
    const xprv = HDKey.fromMasterSeed(new Uint8Array(32).fill(1), networkParams('testnet').bip32).derive("m/48'/1'/0'/2'").privateExtendedKey;
    expect(codeOf(() => formatKeyRecord({ token, key: `[${alice.origin.fingerprint}/48'/1'/0'/2']${xprv}`, description: '' }))).toBe('KEY_INVALID');
    expect(formatKeyRecord(fields(alice, token, 'é'.repeat(80)))).toContain('é');
  });

  it('signing with a key that is not KEY\'s is refused before anything is written', () => {
    expect(codeOf(() => signKeyRecord(fields(alice, token), bob.privateKey))).toBe('KEY_INVALID');
  });

  it('an xpub for another network is refused as a vault key', () => {
    const mainnet = keyholder(1, 'mainnet');
    const record = parseKeyRecord(signKeyRecord(fields(mainnet, token), mainnet.privateKey));
    expect(codeOf(() => accountKeyFromKeyRecord(record, 'testnet'))).toBe('KEY_INVALID');
    expect(codeOf(() => accountKeyFromKeyRecord(parseKeyRecord(signed), 'mainnet'))).toBe('KEY_INVALID');
    expect(accountKeyFromKeyRecord(parseKeyRecord(signed), 'signet')).toEqual(alice.origin);
  });
});

describe('descriptor record refusals (the Signer\'s checks)', () => {
  const text = descriptorRecordFor(vault);
  const [, template, , address] = text.split('\n');
  const firstAddressOf = (keys: Keyholder[]): string =>
    deriveVaultScript({ kind: 'wsh-sortedmulti', network: 'testnet', threshold: 2, keys: keys.map((k) => k.origin) }, 0, 0).address;
  const recordWith = (keys: Keyholder[]): string =>
    ['BSMS 1.0', `wsh(sortedmulti(2,${keys.map((k) => `${k.key}/**`).join(',')}))`, '/0/*,/1/*', firstAddressOf(keys)].join('\n');

  it('a descriptor without the signer\'s key is refused by that signer', () => {
    const swapped = recordWith([alice, bob, mallory]);
    expect(codeOf(() => checkDescriptorRecord(swapped, { network: 'testnet', ownKey: carol.key }))).toBe('BSMS_KEY_NOT_IN_DESCRIPTOR');
  });

  it('a key that copies the signer\'s fingerprint and path but not its xpub is not the signer\'s key', () => {
    const spoof: Keyholder = { ...mallory, key: `[${carol.origin.fingerprint}/48'/1'/0'/2']${mallory.origin.xpub}` };
    const spoofed = recordWith([alice, bob, spoof]);
    expect(codeOf(() => checkDescriptorRecord(spoofed, { network: 'testnet', ownKey: carol.key }))).toBe('BSMS_KEY_NOT_IN_DESCRIPTOR');
    const otherPath = recordWith([alice, bob, { ...carol, key: carol.key.replace("/0'/2'", "/1'/2'") }]);
    expect(codeOf(() => checkDescriptorRecord(otherPath, { network: 'testnet', ownKey: carol.key }))).toBe('BSMS_KEY_NOT_IN_DESCRIPTOR');
  });

  it('an inserted key shows as N = 4, for the keyholders to catch when they compare', () => {
    const inserted = recordWith([alice, bob, carol, mallory]);
    expect(checkDescriptorRecord(inserted, { network: 'testnet', ownKey: alice.key })).toMatchObject({ threshold: 2, keyCount: 4 });
  });

  it('a first address that does not match is refused', () => {
    const wrong = replaceLine(text, 4, firstAddressOf([alice, bob, mallory]));
    expect(codeOf(() => checkDescriptorRecord(wrong, { network: 'testnet', ownKey: alice.key }))).toBe('BSMS_FIRST_ADDRESS_MISMATCH');
    expect(codeOf(() => vaultFromDescriptorRecord(wrong, 'testnet'))).toBe('BSMS_FIRST_ADDRESS_MISMATCH');
    const change0 = replaceLine(text, 4, deriveVaultScript(vault, 1, 0).address);
    expect(codeOf(() => checkDescriptorRecord(change0, { network: 'testnet', ownKey: alice.key }))).toBe('BSMS_FIRST_ADDRESS_MISMATCH');
    const mainnetAddress = replaceLine(text, 4, 'bc1qrgc6p3kylfztu06ysl752gwwuekhvtfh9vr7zg43jvu60mutamcsv948ej');
    expect(codeOf(() => checkDescriptorRecord(mainnetAddress, { network: 'testnet', ownKey: alice.key }))).toBe('ADDRESS_WRONG_NETWORK');
    expect(codeOf(() => checkDescriptorRecord(replaceLine(text, 4, 'tb1qnotanaddress'), { network: 'testnet', ownKey: alice.key }))).toBe('ADDRESS_INVALID');
    expect(checkDescriptorRecord(replaceLine(text, 4, address.toUpperCase()), { network: 'testnet', ownKey: alice.key }).firstAddress).toBe(address);
  });

  it('path restrictions other than /0/*,/1/* are refused', () => {
    for (const restrictions of ['/0/*', '/1/*,/0/*', '/0/*,/1/*,/2/*', '/0/0/*,/0/1/*']) {
      const recreated = createDescriptorRecord(template, restrictions.split(','), 'testnet');
      expect(codeOf(() => checkDescriptorRecord(recreated, { network: 'testnet', ownKey: alice.key }))).toBe('BSMS_PATH_RESTRICTIONS');
      expect(codeOf(() => vaultFromDescriptorRecord(recreated, 'testnet'))).toBe('BSMS_PATH_RESTRICTIONS');
    }
  });

  it('a template with steps before /** is judged by the paths its keys really derive along', () => {
    const deeper = createDescriptorRecord(template.replace(/\/\*\*/g, '/5/**'), ['/0/*', '/1/*'], 'testnet');
    expect(codeOf(() => checkDescriptorRecord(deeper, { network: 'testnet', ownKey: alice.key }))).toBe('BSMS_PATH_RESTRICTIONS');
    expect(checkDescriptorRecord(deeper, { network: 'testnet', ownKey: alice.key, acceptedPathRestrictions: ['/5/0/*,/5/1/*'] }).positions).toEqual([1]);
    expect(codeOf(() => vaultFromDescriptorRecord(deeper, 'testnet'))).toBe('BSMS_PATH_RESTRICTIONS');
  });

  it('hardened or malformed restrictions, and a template without any, are malformed records', () => {
    for (const line3 of ["/0'/*,/1'/*", '0/*,1/*', '/0/*,/0/*', '', "/2147483648/*"]) {
      expect(codeOf(() => checkDescriptorRecord(replaceLine(text, 3, line3), { network: 'testnet', ownKey: alice.key }))).toBe('BSMS_RECORD_INVALID');
    }
    expect(codeOf(() => checkDescriptorRecord(replaceLine(text, 3, 'No path restrictions'), { network: 'testnet', ownKey: alice.key }))).toBe('BSMS_RECORD_INVALID');
    expect(codeOf(() => checkDescriptorRecord(replaceLine(text, 4, ''), { network: 'testnet', ownKey: alice.key }))).toBe('BSMS_RECORD_INVALID');
    expect(codeOf(() => checkDescriptorRecord(`${text}\nextra`, { network: 'testnet', ownKey: alice.key }))).toBe('BSMS_RECORD_INVALID');
  });

  it('xpubs of another network are refused', () => {
    const mainnetVault: MultisigVaultDescriptor = { kind: 'wsh-sortedmulti', network: 'mainnet', threshold: 2, keys: [1, 2, 3].map((s) => keyholder(s, 'mainnet').origin) };
    const mainnetRecord = descriptorRecordFor(mainnetVault);
    const own = keyholder(1, 'mainnet').key;
    expect(checkDescriptorRecord(mainnetRecord, { network: 'mainnet', ownKey: own }).positions).toEqual([1]);
    expect(codeOf(() => checkDescriptorRecord(mainnetRecord, { network: 'testnet', ownKey: own }))).toBe('KEY_INVALID');
    expect(codeOf(() => vaultFromDescriptorRecord(mainnetRecord, 'testnet'))).toBe('KEY_INVALID');
    expect(codeOf(() => vaultFromDescriptorRecord(text, 'mainnet'))).toBe('KEY_INVALID');
  });

  it('an altered checksum, a version it does not support and non-vault scripts are refused', () => {
    const withChecksum = replaceLine(text, 2, addChecksum(template));
    expect(checkDescriptorRecord(withChecksum, { network: 'testnet', ownKey: alice.key }).positions).toEqual([1]);
    const bad = withChecksum.replace(/#(.)/, (_, c: string) => `#${c === 'q' ? 'p' : 'q'}`);
    expect(codeOf(() => checkDescriptorRecord(bad, { network: 'testnet', ownKey: alice.key }))).toBe('DESCRIPTOR_CHECKSUM');
    expect(codeOf(() => checkDescriptorRecord(replaceLine(text, 1, 'BSMS 1.1'), { network: 'testnet', ownKey: alice.key }))).toBe('BSMS_RECORD_INVALID');
    const multi = createDescriptorRecord(template.replace('sortedmulti', 'multi'), ['/0/*', '/1/*'], 'testnet');
    expect(checkDescriptorRecord(multi, { network: 'testnet', ownKey: carol.key })).toMatchObject({ sorted: false, positions: [3] });
    expect(codeOf(() => vaultFromDescriptorRecord(multi, 'testnet'))).toBe('DESCRIPTOR_INVALID');
    const single = ['BSMS 1.0', `wpkh(${alice.key}/**)`, '/0/*,/1/*', address].join('\n');
    expect(codeOf(() => checkDescriptorRecord(single, { network: 'testnet', ownKey: alice.key }))).toBe('DESCRIPTOR_INVALID');
  });

  it('a signer accepts other restrictions only when told to', () => {
    const receiveOnly = createDescriptorRecord(template, ['/0/*'], 'testnet');
    expect(checkDescriptorRecord(receiveOnly, { network: 'testnet', ownKey: bob.key, acceptedPathRestrictions: ['/0/*'] }).pathRestrictions).toBe('/0/*');
  });
});

describe('every BIP129 mode name is covered', () => {
  it('lists NO_ENCRYPTION, STANDARD and EXTENDED', () => {
    const modes: readonly BsmsMode[] = BSMS_MODES;
    expect(modes).toEqual(['NO_ENCRYPTION', 'STANDARD', 'EXTENDED']);
  });
});
