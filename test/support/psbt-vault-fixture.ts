/**
 * A 2-of-3 P2WSH `sortedmulti` test vault for the PSBT tests, built here from first principles
 * (BIP39 test mnemonics, BIP48 account keys m/48'/1'/0'/2', BIP67 key order, BIP141 P2WSH) and
 * not from protocol/descriptor, so these tests stay an independent check of both. The three
 * mnemonics are the ones Bitcoin Core's regtest transcript in ../shared/vectors was recorded
 * with, so the vault's addresses can be compared with what Core derived.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { OutScript } from '@scure/btc-signer/payment.js';
import { RawTx } from '@scure/btc-signer/script.js';
import { compareBytes, sha256 } from '@scure/btc-signer/utils.js';
import { scriptToAddress } from '../../protocol/address';
import { type NetworkName, networkParams } from '../../protocol/network';
import { txidOf } from '../../protocol/psbt/raw';
import type { DerivedVaultScript, VaultScriptOracle } from '../../protocol/psbt/types';

export const TEST_MNEMONICS = [
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
  'legal winner thank year wave sausage worth useful legal winner thank yellow',
  'letter advice cage absurd amount doctor acoustic avoid letter advice cage above',
  // A fourth, outside the vault: a foreign key for attack tests.
  'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong',
];

const H = 0x80000000;

export interface TestKeyholder {
  fingerprint: string;
  accountPath: number[];
  /** Private account key at m/48'/coin'/0'/2'. */
  account: HDKey;
  xpub: string;
}

const keyholderCache = new Map<string, TestKeyholder>();

export function testKeyholder(mnemonic: string, network: NetworkName = 'regtest'): TestKeyholder {
  const cacheKey = `${network}:${mnemonic}`;
  const cached = keyholderCache.get(cacheKey);
  if (cached !== undefined) return cached;
  const params = networkParams(network);
  const master = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic), params.bip32);
  const accountPath = [48 + H, params.coinType + H, H, 2 + H];
  const account = master.derive(`m/48'/${params.coinType}'/0'/2'`);
  const holder = { fingerprint: master.fingerprint.toString(16).padStart(8, '0'), accountPath, account, xpub: account.publicExtendedKey };
  keyholderCache.set(cacheKey, holder);
  return holder;
}

export interface TestVault extends VaultScriptOracle {
  network: NetworkName;
  keyholders: TestKeyholder[];
  /** How many times `derive` ran: lets tests bound the work a hostile PSBT can cause. */
  deriveCalls: number;
}

export function testVault(keyholders: TestKeyholder[], threshold = 2, network: NetworkName = 'regtest'): TestVault {
  const vault: TestVault = {
    network,
    keyholders,
    threshold,
    fingerprints: keyholders.map((k) => k.fingerprint),
    deriveCalls: 0,
    derive(change, index) {
      vault.deriveCalls += 1;
      return deriveScript(keyholders, threshold, network, change, index);
    },
  };
  return vault;
}

export function defaultVault(network: NetworkName = 'regtest'): TestVault {
  return testVault(TEST_MNEMONICS.slice(0, 3).map((m) => testKeyholder(m, network)), 2, network);
}

export function deriveScript(keyholders: TestKeyholder[], threshold: number, network: NetworkName, change: 0 | 1, index: number): DerivedVaultScript {
  const keys = keyholders
    .map((k) => ({ pubkey: chainKey(k, change).deriveChild(index).publicKey as Uint8Array, fingerprint: k.fingerprint, path: [...k.accountPath, change, index] }))
    .sort((a, b) => compareBytes(a.pubkey, b.pubkey));
  // witness script: <m> <sorted pubkeys> <n> OP_CHECKMULTISIG; scriptPubKey: 0 <sha256(witnessScript)>
  const witnessScript = OutScript.encode({ type: 'ms', m: threshold, pubkeys: keys.map((k) => k.pubkey) });
  const scriptPubKey = OutScript.encode({ type: 'wsh', hash: sha256(witnessScript) });
  return { change, index, address: scriptToAddress(scriptPubKey, network) as string, scriptPubKey, witnessScript, keys };
}

const chainKeys = new Map<string, HDKey>();

/** Public key of the receive (0) or change (1) chain, derived once: tests derive many addresses. */
function chainKey(holder: TestKeyholder, change: 0 | 1): HDKey {
  const cacheKey = `${holder.xpub}/${change}`;
  let key = chainKeys.get(cacheKey);
  if (key === undefined) {
    key = HDKey.fromExtendedKey(holder.xpub, holder.account.versions).deriveChild(change);
    chainKeys.set(cacheKey, key);
  }
  return key;
}

let fundingCounter = 0;

/** A transaction paying `amount` to `script` at output `vout` (others pay an unrelated script). */
export function fundingTx(script: Uint8Array, amount: bigint, vout = 0, outputs = 2): { hex: string; txid: string; vout: number } {
  fundingCounter += 1;
  const seed = new Uint8Array(32).fill(fundingCounter % 251);
  const other = OutScript.encode({ type: 'wpkh', hash: new Uint8Array(20).fill(7) });
  const tx = {
    version: 2,
    segwitFlag: false,
    inputs: [{ txid: seed, index: fundingCounter, finalScriptSig: new Uint8Array([0x51]), sequence: 0xfffffffe }],
    outputs: Array.from({ length: Math.max(outputs, vout + 1) }, (_, k) => (k === vout ? { amount, script } : { amount: 1000n + BigInt(k), script: other })),
    lockTime: fundingCounter,
  };
  const bytes = RawTx.encode(tx);
  return { hex: bytesToHex(bytes), txid: txidOf(tx), vout };
}

export function globalXpubs(vault: TestVault): Array<{ xpub: string; fingerprint: string; path: number[] }> {
  return vault.keyholders.map((k) => ({ xpub: k.xpub, fingerprint: k.fingerprint, path: k.accountPath }));
}
