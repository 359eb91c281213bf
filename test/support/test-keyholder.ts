/**
 * Keyholders for in-process tests: a BIP39 seed, its BIP48 account key and an identity key,
 * with helpers that sign envelopes as the signer CLI would. The three mnemonics are the ones
 * Bitcoin Core's regtest transcript in ../shared/vectors was recorded with, so addresses can
 * be compared with what Core derived.
 */
import { randomBytes } from 'node:crypto';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { bytesToHex } from '@noble/hashes/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import type { KeyOrigin } from '../../protocol/api';
import { type Envelope, signEnvelope } from '../../protocol/envelope';
import { type NetworkName, networkParams } from '../../protocol/network';

export const TRANSCRIPT_MNEMONICS = [
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
  'legal winner thank year wave sausage worth useful legal winner thank yellow',
  'letter advice cage absurd amount doctor acoustic avoid letter advice cage above',
];

export interface TestKeyholder {
  name: string;
  identitySecret: Uint8Array;
  identityKey: string;
  account: HDKey;
  accountKey: KeyOrigin;
  accountPath: number[];
  sign<T>(type: string, body: T, now?: Date): Envelope<T>;
}

export function testKeyholder(name: string, mnemonic: string, network: NetworkName = 'regtest'): TestKeyholder {
  const params = networkParams(network);
  const master = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic), params.bip32);
  const accountPath = [48, params.coinType, 0, 2].map((i) => i + 0x80000000);
  const account = master.derive(`m/48'/${params.coinType}'/0'/2'`);
  const identitySecret = sha256(new TextEncoder().encode(`conclave test identity ${mnemonic}`));
  const fingerprint = master.fingerprint.toString(16).padStart(8, '0');
  return {
    name, identitySecret, account, accountPath,
    identityKey: bytesToHex(schnorr.getPublicKey(identitySecret)),
    accountKey: { fingerprint, path: `48h/${params.coinType}h/0h/2h`, xpub: account.publicExtendedKey },
    sign: <T>(type: string, body: T, now = new Date()) => signEnvelope(type, body, identitySecret, { now, randomBytes: (n) => new Uint8Array(randomBytes(n)) }),
  };
}

