/**
 * BIP129 "Test Vectors", read unchanged from the shared vectors folder and parsed here: one
 * `===Mode: ...===` section per mode, `====ROUND n====` inside, then parties (`* Signer 1`,
 * `* Signer 1 encryption`, `* Coordinator`, `* Send to Signer 1:`) with `** NAME: value`
 * fields (`***` sub-fields belong to the field above) and `<tt>file</tt>: <pre>...</pre>` files.
 *
 * For every mode: key records parse and their SIG verifies (and re-signing with the given
 * private key gives the same bytes); tokens, keys, MACs, IVs and ciphertexts match; encrypted
 * files decrypt to the plaintext files and encrypt back to the same bytes; descriptor records
 * pass every Signer's checks, and the Coordinator's record is re-created byte for byte.
 */
import { createBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ConclaveError } from '../errors';
import { describeWithVectors, readVector } from '../../test/vectors/locate';
import {
  accountKeyFromKeyRecord, checkDescriptorRecord, createDescriptorRecord, decryptRecord, deriveBsmsKeys, descriptorRecordFor,
  encryptRecord, NO_PATH_RESTRICTIONS, parseDescriptorRecord, parseKeyRecord, parseToken, readBsmsFile, signKeyRecord,
  tokenFromDecimal, tokenFromMnemonic, tokenToDecimal, tokenToMnemonic, vaultFromDescriptorRecord, writeBsmsFile,
  type BsmsMode,
} from './index';

interface Field { name: string; value: string; sub: Field[] }
interface Party { round: number; name: string; fields: Field[]; files: Map<string, string> }
interface ModeSection { title: string; mode: BsmsMode; parties: Party[] }

const VECTOR_FILE = 'bip0129-test-vectors.mediawiki';

function parseVectors(text: string): ModeSection[] {
  const sections: ModeSection[] = [];
  const lines = text.split('\n');
  let round = 0;
  let party: Party | undefined;
  let field: Field | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    const mode = /^===Mode: <tt>([A-Z_]+)<\/tt>(.*)===$/.exec(line);
    if (mode) {
      sections.push({ title: `${mode[1]}${mode[2]}`.trim(), mode: mode[1] as BsmsMode, parties: [] });
      party = undefined;
      continue;
    }
    if (/^==[^=]/.test(line) && sections.length > 0) break; // ==Acknowledgement==
    const section = sections[sections.length - 1];
    if (!section) continue;
    const r = /^====ROUND ([0-9])====$/.exec(line);
    if (r) {
      round = Number(r[1]);
      continue;
    }
    const file = /^\*\* <tt>([^<]+)<\/tt>:\s*(.*)$/.exec(line);
    if (file && party) {
      // The file's text runs from <pre> to </pre>, on this line or the next ones.
      let rest = file[2];
      while (!rest.includes('</pre>')) rest += `\n${lines[++i].trimEnd()}`;
      const m = /<pre>([\s\S]*)<\/pre>/.exec(rest);
      if (!m) throw new Error(`line ${i + 1}: file ${file[1]} without <pre>`);
      party.files.set(file[1], m[1]);
      continue;
    }
    const sub = /^\*\*\* (.+?)\s*:\s*(.*)$/.exec(line);
    if (sub && field) {
      field.sub.push({ name: sub[1], value: sub[2], sub: [] });
      continue;
    }
    const f = /^\*\* (.+?)\s*:\s*(.*)$/.exec(line);
    if (f && party) {
      field = { name: f[1], value: f[2], sub: [] };
      party.fields.push(field);
      continue;
    }
    const p = /^\*\s*([^*\s].*?):?$/.exec(line);
    if (p) {
      party = { round, name: p[1], fields: [], files: new Map() };
      section.parties.push(party);
      field = undefined;
    }
  }
  return sections;
}

const fieldValue = (party: Party, name: string): string | undefined => party.fields.find((f) => f.name === name)?.value;
const subValue = (party: Party, name: string, sub: string): string | undefined =>
  party.fields.find((f) => f.name === name)?.sub.find((s) => s.name === sub)?.value;

function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected one ${what}, found ${items.length}`);
  return items[0];
}

const wifDecode = createBase58check(sha256);
function wifPrivateKey(wif: string): Uint8Array {
  const payload = wifDecode.decode(wif);
  if (payload[0] !== 0x80 || payload.length !== 34 || payload[33] !== 1) throw new Error('expected a compressed mainnet WIF');
  return payload.slice(1, 33);
}

function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConclaveError) return e.code;
    throw e;
  }
  throw new Error('expected a ConclaveError');
}

describeWithVectors('BIP129 (BSMS 1.0) test vectors', (dir) => {
  const sections = parseVectors(readVector(dir, VECTOR_FILE));

  it('has the four mode sections of BIP129, covering all three modes', () => {
    expect(sections.map((s) => s.title)).toEqual([
      'NO_ENCRYPTION with Public Keys', 'NO_ENCRYPTION', 'STANDARD Encryption', 'EXTENDED Encryption',
    ]);
  });

  for (const section of sections) {
    describe(`Mode ${section.title}`, () => {
      const coordinator1 = only(section.parties.filter((p) => p.round === 1 && p.name === 'Coordinator'), 'round 1 coordinator');
      const coordinator2 = only(section.parties.filter((p) => p.round === 2 && p.name === 'Coordinator'), 'round 2 coordinator');
      const signers = section.parties.filter((p) => /^Signer [0-9]+$/.test(p.name));
      const [m, n] = (fieldValue(coordinator1, 'M-of-N') ?? '').split('/').map(Number);
      const descriptorFile = only([...coordinator2.files.entries()].filter(([name]) => name.endsWith('.bsms')), 'descriptor record')[1];

      /** Signer k's token: its own in EXTENDED mode, else the session's. */
      const tokenFor = (signer: string): string => {
        const own = fieldValue(coordinator1, `TOKEN for ${signer} (hex)`);
        const shared = fieldValue(coordinator1, 'TOKEN (hex)') ?? fieldValue(coordinator1, 'TOKEN');
        return parseToken((own ?? shared) as string).token;
      };
      const keyFile = (signer: Party): string =>
        only([...signer.files.entries()].filter(([name]) => name.endsWith('.bsms')), `${signer.name} key record`)[1];

      it(`has N = ${n} signers, each with a key record`, () => {
        expect(signers).toHaveLength(n);
        expect(parseToken(tokenFor('Signer 1')).mode).toBe(section.mode);
      });

      it('key records parse, carry the session token, and their SIG verifies against KEY', () => {
        for (const signer of signers) {
          const record = parseKeyRecord(keyFile(signer), { token: tokenFor(signer.name), requireSignature: true });
          expect(record.signed).toBe(true);
          expect(record.fingerprint).toBe(fieldValue(signer, 'MASTER_KEY_FINGERPRINT'));
          const xpub = fieldValue(signer, "XPUB (m/48'/0'/0'/2')") ?? fieldValue(signer, "XPUB (m/48'/0'/0'/1')");
          if (xpub) expect(record.xpub).toBe(xpub);
          else expect(bytesToHex(record.pubkey)).toBe(fieldValue(signer, "Public Key (m/48'/0'/0'/2')"));
        }
      });

      it('re-signing each key record with its private key gives the same bytes (RFC6979)', () => {
        for (const signer of signers) {
          const text = keyFile(signer);
          const record = parseKeyRecord(text);
          const wif = signer.fields.find((f) => f.name.startsWith('PRIVATE_KEY'))?.value as string;
          expect(signKeyRecord({ token: record.token, key: record.key, description: record.description }, wifPrivateKey(wif))).toBe(text);
        }
      });

      it('the descriptor record passes every signer\'s checks, with M, N and its position', () => {
        const accepted = [NO_PATH_RESTRICTIONS, '/0/*,/1/*'];
        signers.forEach((signer, i) => {
          const record = parseKeyRecord(keyFile(signer));
          const confirmation = checkDescriptorRecord(descriptorFile, { network: 'mainnet', ownKey: record.key, acceptedPathRestrictions: accepted });
          expect(confirmation).toMatchObject({ threshold: m, keyCount: n, positions: [i + 1] });
          expect(confirmation.firstAddress).toBe(descriptorFile.split('\n')[3]);
        });
      });

      it('the Coordinator re-creates the descriptor record byte for byte', () => {
        const record = parseDescriptorRecord(descriptorFile);
        const [body, checksum] = record.descriptor.split('#');
        expect(createDescriptorRecord(body, record.pathRestrictions, 'mainnet', { checksum: checksum !== undefined })).toBe(descriptorFile);
      });

      if (section.mode === 'NO_ENCRYPTION') {
        it('files are the plaintext records (.bsms) and read back unchanged', () => {
          for (const text of [...signers.map(keyFile), descriptorFile]) {
            expect(writeBsmsFile(text, '00')).toEqual({ extension: '.bsms', text });
            expect(readBsmsFile(`${text}\n`, '00')).toMatchObject({ encrypted: false, record: text });
          }
        });
        return;
      }

      // Encrypted modes: every party with a .dat file, and the plaintext it carries.
      const blobs = section.parties.flatMap((p) => [...p.files.entries()].filter(([name]) => name.endsWith('.dat')).map(([name, hex]) => {
        const signer = /Signer [0-9]+/.exec(p.name)?.[0];
        const plaintext = p.round === 1
          ? keyFile(only(signers.filter((s) => s.name === signer), signer ?? p.name))
          : descriptorFile;
        return { party: p, name, hex, plaintext, token: tokenFor(signer ?? 'Signer 1') };
      }));

      it('has an encrypted file for every record sent', () => {
        const expected = section.mode === 'EXTENDED' ? 2 * n : n + 1;
        expect(blobs).toHaveLength(expected);
      });

      it('tokens match their decimal (and STANDARD mnemonic) forms', () => {
        for (const signer of signers) {
          const token = tokenFor(signer.name);
          const label = section.mode === 'EXTENDED' ? `TOKEN for ${signer.name} (hex)` : 'TOKEN (hex)';
          const decimal = subValue(coordinator1, label, 'TOKEN (decimal)') as string;
          expect(tokenToDecimal(token)).toBe(decimal);
          expect(tokenFromDecimal(decimal, section.mode as 'STANDARD' | 'EXTENDED')).toBe(token);
          const mnemonic = subValue(coordinator1, label, 'TOKEN (mnemonic)');
          expect(mnemonic === undefined).toBe(section.mode === 'EXTENDED'); // BIP129: six words in STANDARD mode only
          if (mnemonic) {
            expect(tokenToMnemonic(token)).toBe(mnemonic);
            expect(tokenFromMnemonic(mnemonic)).toBe(token);
          }
        }
      });

      it('ENCRYPTION_KEY and HMAC_KEY derive from the token', () => {
        for (const signer of signers) {
          const token = tokenFor(signer.name);
          const label = section.mode === 'EXTENDED' ? `TOKEN for ${signer.name} (hex)` : 'TOKEN (hex)';
          const expectedKey = subValue(coordinator1, label, 'ENCRYPTION_KEY (hex)') ?? fieldValue(coordinator1, 'ENCRYPTION_KEY (hex)');
          expect(bytesToHex(deriveBsmsKeys(token).encryptionKey)).toBe(expectedKey);
        }
        for (const blob of blobs) {
          expect(bytesToHex(deriveBsmsKeys(blob.token).hmacKey)).toBe(fieldValue(blob.party, 'HMAC_KEY (hex)'));
        }
      });

      it('every encrypted file decrypts to its record and encrypts back to the same bytes', () => {
        for (const blob of blobs) {
          expect(decryptRecord(blob.token, blob.hex)).toBe(blob.plaintext);
          const encrypted = encryptRecord(blob.token, blob.plaintext);
          expect(encrypted).toBe(blob.hex);
          expect(encrypted.slice(0, 64)).toBe(fieldValue(blob.party, 'MAC (hex)'));
          expect(encrypted.slice(0, 32)).toBe(fieldValue(blob.party, 'IV (hex)'));
          expect(encrypted.slice(64)).toBe(fieldValue(blob.party, 'CIPHERTEXT (hex)'));
          expect(writeBsmsFile(blob.plaintext, blob.token)).toEqual({ extension: '.dat', text: blob.hex });
          expect(readBsmsFile(blob.hex, blob.token)).toEqual({ kind: blob.party.round === 1 ? 'key' : 'descriptor', encrypted: true, record: blob.plaintext });
        }
      });

      it('an encrypted file does not open with another token of the vectors', () => {
        const tokens = [...new Set(blobs.map((b) => b.token)), 'ffffffffffffffff'];
        for (const blob of blobs) {
          for (const other of tokens.filter((t) => t !== blob.token)) {
            expect(thrownCode(() => decryptRecord(other, blob.hex))).toBe('BSMS_DECRYPT');
          }
        }
      });
    });
  }

  describe('bridge to Conclave vault descriptors', () => {
    const byTitle = (title: string): ModeSection => only(sections.filter((s) => s.title === title), title);
    const recordOf = (s: ModeSection): string =>
      [...only(s.parties.filter((p) => p.round === 2 && p.name === 'Coordinator'), 'coordinator').files.entries()]
        .find(([name]) => name.endsWith('.bsms'))?.[1] as string;

    it('wsh(sortedmulti) templates over BIP48 P2WSH keys are vaults, and format back to the same record', () => {
      for (const title of ['NO_ENCRYPTION', 'STANDARD Encryption']) {
        const text = recordOf(byTitle(title));
        const vault = vaultFromDescriptorRecord(text, 'mainnet');
        expect(vault).toMatchObject({ kind: 'wsh-sortedmulti', network: 'mainnet', threshold: 2 });
        expect(vault.keys.map((k) => k.path)).toEqual(["48h/0h/0h/2h", "48h/0h/0h/2h"]);
        expect(descriptorRecordFor(vault)).toBe(text);
      }
    });

    it('key records of BIP48 P2WSH keys give vault account keys; other shapes are refused', () => {
      const standard = byTitle('STANDARD Encryption');
      const signer = only(standard.parties.filter((p) => p.name === 'Signer 1'), 'signer');
      const keyText = [...signer.files.entries()].find(([name]) => name.endsWith('.bsms'))?.[1] as string;
      const key = accountKeyFromKeyRecord(parseKeyRecord(keyText), 'mainnet');
      expect(key).toMatchObject({ fingerprint: 'b7868815', path: '48h/0h/0h/2h' });
      expect(thrownCode(() => accountKeyFromKeyRecord(parseKeyRecord(keyText), 'testnet'))).toBe('KEY_INVALID');

      const extended = only(byTitle('EXTENDED Encryption').parties.filter((p) => p.name === 'Signer 1'), 'signer');
      const nested = [...extended.files.entries()].find(([name]) => name.endsWith('.bsms'))?.[1] as string;
      expect(thrownCode(() => accountKeyFromKeyRecord(parseKeyRecord(nested), 'mainnet'))).toBe('KEY_INVALID'); // 48'/0'/0'/1'
    });

    it('nested segwit multi() and fixed public keys are BSMS wallets but not Conclave vaults', () => {
      expect(thrownCode(() => vaultFromDescriptorRecord(recordOf(byTitle('EXTENDED Encryption')), 'mainnet'))).toBe('DESCRIPTOR_INVALID');
      expect(thrownCode(() => vaultFromDescriptorRecord(recordOf(byTitle('NO_ENCRYPTION with Public Keys')), 'mainnet'))).toBe('BSMS_PATH_RESTRICTIONS');
    });

    it('a Conclave signer refuses the vectors\' records that are not /0/*,/1/* by default', () => {
      const s = byTitle('NO_ENCRYPTION with Public Keys');
      const signer = only(s.parties.filter((p) => p.name === 'Signer 1'), 'signer');
      const key = parseKeyRecord([...signer.files.values()][0]).key;
      expect(thrownCode(() => checkDescriptorRecord(recordOf(s), { network: 'mainnet', ownKey: key }))).toBe('BSMS_PATH_RESTRICTIONS');
    });
  });
});
