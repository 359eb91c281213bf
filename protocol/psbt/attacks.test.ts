/**
 * Attacks on the PSBT path, each named for what it tries: a hostile coordinator (or anyone on
 * the way) edits the PSBT, swaps previous transactions, disguises foreign outputs as change,
 * replays or forges signatures, or sends garbage. Every one must end in a ConclaveError with a
 * stable code, never a signature, a silent acceptance or a raw exception.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { Transaction as ScureTransaction } from '@scure/btc-signer/transaction.js';
import { signECDSA } from '@scure/btc-signer/utils.js';
import type { PartialSignature } from '../api';
import { ConclaveError } from '../errors';
import {
  buildWithdrawalPsbt, decodePsbt, finalizeWithSignatures, inspectPsbt, signVaultInputs, SighashAllV0,
  verifyPartialSignature, verifyPartialSignatures,
} from './index';
import { encodeRawPsbtV0, type RawPsbt } from './raw';
import {
  defaultVault, deriveScript, fundingTx, globalXpubs, TEST_MNEMONICS, testKeyholder, type TestKeyholder, type TestVault,
} from '../../test/support/psbt-vault-fixture';

const DESTINATION = 'bcrt1q50rtrmj2f8vl9tem8qpfw36ylw5jg9j2dkku3w';
const origin = (k: TestKeyholder) => ({ fingerprint: k.fingerprint, path: k.accountPath });

const vault = defaultVault();
const [alice, bob, carol] = vault.keyholders;
const mallory = testKeyholder(TEST_MNEMONICS[3]);
/** A 2-of-3 vault where Mallory replaces Bob: same fingerprints for two keys, a different script. */
const foreign: TestVault = { ...vault, keyholders: [alice, mallory, carol], derive: (c, i) => deriveScript([alice, mallory, carol], 2, 'regtest', c, i) };

function withdrawal(opts: { change?: ReturnType<typeof vault.derive>; coins?: Array<ReturnType<typeof vault.derive>> } = {}) {
  const scripts = opts.coins ?? [vault.derive(0, 0), vault.derive(0, 1), vault.derive(1, 2)];
  const coins = scripts.map((script, k) => {
    const funding = fundingTx(script.scriptPubKey, 60_000n, k % 2, 2);
    return { txid: funding.txid, vout: funding.vout, prevTxHex: funding.hex, script };
  });
  return buildWithdrawalPsbt({
    network: 'regtest',
    inputs: coins,
    outputs: [{ address: DESTINATION, amount: 60_000n * BigInt(coins.length) - 12_000n }],
    change: { script: opts.change ?? vault.derive(1, 3), amount: 10_000n },
    globalXpubs: globalXpubs(vault),
    locktime: 0,
  });
}

/** A deep copy of the PSBT's maps to edit, and back to base64 after. */
function tamper(psbt: string, edit: (raw: RawPsbt) => void): string {
  const raw = structuredClone(decodePsbt(psbt).raw);
  edit(raw);
  return base64.encode(encodeRawPsbtV0(raw));
}

function thrown(fn: () => unknown): ConclaveError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConclaveError) return error;
    throw new Error(`expected a ConclaveError, got ${String(error)}`);
  }
  throw new Error('expected a ConclaveError, nothing was thrown');
}

const allInputs = [0, 1, 2];

describe('PSBT attacks', () => {
  it('refuses a witness_utxo amount that differs from the full previous transaction (CVE-2020-14199)', () => {
    const psbt = tamper(withdrawal(), (raw) => { raw.inputs[1].witnessUtxo!.amount -= 10_000n; });
    for (const attempt of [() => decodePsbt(psbt), () => inspectPsbt(psbt, vault, 'regtest'), () => signVaultInputs(psbt, alice.account, origin(alice), allInputs)]) {
      const error = thrown(attempt);
      expect(error.code).toBe('PSBT_MISMATCH');
      expect(error.message).toBe('psbt/input[1]: witness_utxo does not match output 1 of the previous transaction');
    }
  });

  it('refuses a previous transaction that is not the one the outpoint names', () => {
    const psbt = tamper(withdrawal(), (raw) => { raw.inputs[2].nonWitnessUtxo = raw.inputs[0].nonWitnessUtxo; });
    const error = thrown(() => inspectPsbt(psbt, vault, 'regtest'));
    expect(error.code).toBe('PSBT_MISMATCH');
    expect(error.message).toBe('psbt/input[2]: previous transaction does not match outpoint');
  });

  it('refuses to sign an input whose amount only a bare witness_utxo claims', () => {
    const psbt = tamper(withdrawal(), (raw) => { delete raw.inputs[0].nonWitnessUtxo; });
    expect(inspectPsbt(psbt, vault, 'regtest').inputs.map((i) => i.hasFullPrevTx)).toEqual([false, true, true]);
    const error = thrown(() => signVaultInputs(psbt, alice.account, origin(alice), [0]));
    expect(error.code).toBe('PSBT_MISMATCH');
    expect(error.message).toMatch(/psbt\/input\[0\]: no full previous transaction/);
  });

  it('does not count as change an output whose derivations claim a vault index but whose script is foreign', () => {
    const disguised = foreign.derive(1, 3);
    // Mallory's entry is relabelled with Bob's fingerprint and path, so every derivation looks like the vault's.
    disguised.keys = disguised.keys.map((k) => (k.fingerprint === mallory.fingerprint ? { ...k, fingerprint: bob.fingerprint, path: [...bob.accountPath, 1, 3] } : k));
    const summary = inspectPsbt(withdrawal({ change: disguised }), vault, 'regtest');
    expect(summary.outputs[1]).toMatchObject({ isChange: false, vault: null });
    expect(summary.outputs[1].address).toBe(disguised.address);
  });

  it('does not count as change a vault script whose derivations point at another index', () => {
    const psbt = tamper(withdrawal(), (raw) => {
      for (const [, derivation] of raw.outputs[1].bip32Derivation!) derivation.path[derivation.path.length - 1] = 4;
    });
    expect(inspectPsbt(psbt, vault, 'regtest').outputs[1]).toMatchObject({ isChange: false, vault: null });
  });

  it('does not count as the vault\'s an input of a foreign vault that wears its fingerprints', () => {
    const spoofed = foreign.derive(0, 0);
    spoofed.keys = spoofed.keys.map((k) => (k.fingerprint === mallory.fingerprint ? { ...k, fingerprint: bob.fingerprint, path: [...bob.accountPath, 0, 0] } : k));
    const psbt = withdrawal({ coins: [vault.derive(0, 0), spoofed, vault.derive(0, 2)] });
    expect(inspectPsbt(psbt, vault, 'regtest').inputs.map((i) => i.vault)).toEqual([{ change: 0, index: 0 }, null, { change: 0, index: 2 }]);
    // Alice's key is in that script too, so she could sign it; verification on the vault's side refuses it.
    const sigs = signVaultInputs(psbt, alice.account, origin(alice), [1]).partialSigs;
    const error = thrown(() => verifyPartialSignatures(psbt, sigs, vault));
    expect(error.code).toBe('PSBT_MISMATCH');
    expect(error.message).toBe('psbt/input[1]: not an input of this vault');
  });

  it('tries at most one derivation per vault key however many a PSBT claims', () => {
    const psbt = tamper(withdrawal(), (raw) => {
      const fingerprint = Number.parseInt(alice.fingerprint, 16);
      raw.inputs[0].bip32Derivation = Array.from({ length: 200 }, (_, k) => [
        secp256k1.getPublicKey(hexToBytes((k + 1).toString(16).padStart(64, '0')), true),
        { fingerprint, path: [...alice.accountPath, 0, 1000 + k] },
      ]);
    });
    vault.deriveCalls = 0;
    const summary = inspectPsbt(psbt, vault, 'regtest');
    expect(summary.inputs[0].vault).toBeNull();
    expect(vault.deriveCalls).toBeLessThanOrEqual(3 + 2 + 1); // input 0 (bounded) + inputs 1, 2 + change
  });

  it('refuses a signature replayed on another input', () => {
    // Inputs 0 and 1 spend the same vault address, so the same key signs both: only the digest differs.
    const psbt = withdrawal({ coins: [vault.derive(0, 0), vault.derive(0, 0), vault.derive(0, 5)] });
    const [own] = signVaultInputs(psbt, alice.account, origin(alice), [0]).partialSigs;
    const replayed: PartialSignature = { ...own, input: 1 };
    expect(verifyPartialSignature(psbt, replayed)).toBe(false);
    const error = thrown(() => verifyPartialSignatures(psbt, [replayed], vault));
    expect(error.code).toBe('SIGNATURE_INVALID');
    expect(error.message).toBe(`psbt/input[1]: signature by ${own.pubkey} does not verify`);
    // on an input of another address the key is not even one of that input's keys
    expect(thrown(() => verifyPartialSignatures(psbt, [{ ...own, input: 2 }], vault)).code).toBe('SIGNER_NOT_IN_VAULT');
  });

  it('refuses a signature made for another transaction', () => {
    const psbt = withdrawal();
    const other = tamper(psbt, (raw) => { raw.global.unsignedTx.outputs[0].amount -= 1n; });
    const sigs = signVaultInputs(other, alice.account, origin(alice), allInputs).partialSigs;
    expect(thrown(() => verifyPartialSignatures(psbt, sigs, vault)).code).toBe('SIGNATURE_INVALID');
    expect(thrown(() => finalizeWithSignatures(psbt, [...sigs, ...signVaultInputs(psbt, bob.account, origin(bob), allInputs).partialSigs], 2)).code).toBe('SIGNATURE_INVALID');
  });

  it('refuses a signature by a key outside the vault', () => {
    const psbt = withdrawal();
    const decoded = decodePsbt(psbt);
    const digest = new SighashAllV0(decoded.raw.global.unsignedTx).digest(0, decoded.raw.inputs[0].witnessScript!, 60_000n);
    const key = mallory.account.deriveChild(0).deriveChild(0);
    const sig: PartialSignature = { input: 0, pubkey: bytesToHex(key.publicKey!), signature: bytesToHex(Uint8Array.from([...signECDSA(digest, key.privateKey!), 1])) };
    for (const attempt of [() => verifyPartialSignatures(psbt, [sig], vault), () => verifyPartialSignature(psbt, sig), () => finalizeWithSignatures(psbt, [sig], 2)]) {
      expect(thrown(attempt).code).toBe('SIGNER_NOT_IN_VAULT');
    }
    expect(thrown(() => signVaultInputs(psbt, mallory.account, origin(mallory), [0])).message).toMatch(/no BIP32 derivation for this signer/);
  });

  it('refuses SIGHASH_NONE: as a signature and as a request to the signer', () => {
    const psbt = withdrawal();
    const decoded = decodePsbt(psbt);
    const scure = ScureTransaction.fromPSBT(base64.decode(psbt));
    const key = alice.account.deriveChild(0).deriveChild(0);
    const noneDigest = scure.preimageWitnessV0(0, decoded.raw.inputs[0].witnessScript!, 0x02, 60_000n);
    const der = signECDSA(noneDigest, key.privateKey!);
    const none: PartialSignature = { input: 0, pubkey: bytesToHex(key.publicKey!), signature: bytesToHex(Uint8Array.from([...der, 0x02])) };
    for (const attempt of [() => verifyPartialSignature(psbt, none), () => verifyPartialSignatures(psbt, [none], vault), () => finalizeWithSignatures(psbt, [none], 2)]) {
      const error = thrown(attempt);
      expect(error.code).toBe('SIGNATURE_INVALID');
      expect(error.message).toMatch(/uses sighash type 0x02; only SIGHASH_ALL \(0x01\) is accepted/);
    }
    // relabelled as ALL, it is a signature over the wrong digest
    expect(verifyPartialSignature(psbt, { ...none, signature: bytesToHex(Uint8Array.from([...der, 0x01])) })).toBe(false);

    const asking = tamper(psbt, (raw) => { raw.inputs[0].sighashType = 0x02; });
    expect(inspectPsbt(asking, vault, 'regtest').inputs[0].sighashTypes).toEqual([2]);
    expect(thrown(() => signVaultInputs(asking, alice.account, origin(alice), [0])).message).toMatch(/only SIGHASH_ALL is signed/);
  });

  it('refuses high-S and non-canonical DER encodings of a valid signature', () => {
    const psbt = withdrawal();
    const [sig] = signVaultInputs(psbt, alice.account, origin(alice), [0]).partialSigs;
    const der = hexToBytes(sig.signature).slice(0, -1);
    const parsed = secp256k1.Signature.fromBytes(der, 'der');
    const highS = new secp256k1.Signature(parsed.r, secp256k1.Point.Fn.ORDER - parsed.s).toBytes('der');
    expect(verifyPartialSignature(psbt, { ...sig, signature: bytesToHex(Uint8Array.from([...highS, 1])) })).toBe(false);
    // r padded with a needless zero byte: same (r, s), not strict DER (BIP66)
    const r = der.subarray(4, 4 + der[3]);
    const rest = der.subarray(4 + der[3]);
    const padded = Uint8Array.from([0x30, der[1] + 1, 0x02, der[3] + 1, 0x00, ...r, ...rest]);
    expect(verifyPartialSignature(psbt, { ...sig, signature: bytesToHex(Uint8Array.from([...padded, 1])) })).toBe(false);
    expect(verifyPartialSignature(psbt, sig)).toBe(true);
  });

  it('refuses a derivation that claims a key the signer\'s account does not derive', () => {
    const psbt = tamper(withdrawal(), (raw) => {
      for (const [, derivation] of raw.inputs[0].bip32Derivation!) derivation.path[derivation.path.length - 1] = 9;
    });
    const error = thrown(() => signVaultInputs(psbt, alice.account, origin(alice), [0]));
    expect(error.code).toBe('PSBT_MISMATCH');
    expect(error.message).toMatch(/psbt\/input\[0\]: the derivation 0\/9 claims key [0-9a-f]{66}, which this signer's account does not derive/);
  });

  it('refuses to sign with a key the witness script does not contain', () => {
    const outsider = deriveScript([bob, mallory, carol], 2, 'regtest', 0, 0);
    const psbt = tamper(withdrawal({ coins: [outsider, vault.derive(0, 1), vault.derive(0, 2)] }), (raw) => {
      const key = alice.account.deriveChild(0).deriveChild(0).publicKey!;
      raw.inputs[0].bip32Derivation!.push([key, { fingerprint: Number.parseInt(alice.fingerprint, 16), path: [...alice.accountPath, 0, 0] }]);
    });
    expect(thrown(() => signVaultInputs(psbt, alice.account, origin(alice), [0])).message).toMatch(/is not in the witness script/);
  });

  it('refuses outputs worth more than the inputs', () => {
    const psbt = tamper(withdrawal(), (raw) => { raw.global.unsignedTx.outputs[0].amount += 10_000n; });
    const error = thrown(() => inspectPsbt(psbt, vault, 'regtest'));
    expect(error.code).toBe('PSBT_MISMATCH');
    expect(error.message).toMatch(/outputs \(\d+ sat\) exceed inputs \(180000 sat\)/);
  });

  it('refuses every truncation of a PSBT as malformed', () => {
    const bytes = base64.decode(withdrawal({ coins: [vault.derive(0, 0)] }));
    const codes = new Set<string>();
    for (let length = 0; length < bytes.length; length++) codes.add(thrown(() => decodePsbt(bytes.subarray(0, length))).code);
    expect([...codes]).toEqual(['PSBT_MALFORMED']);
  });

  it('never lets a corrupted byte escape as a raw exception', () => {
    const bytes = base64.decode(withdrawal({ coins: [vault.derive(0, 0), vault.derive(1, 1)] }));
    let state = 0x12345678;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    let refused = 0;
    for (let k = 0; k < 120; k++) {
      const corrupted = Uint8Array.from(bytes);
      corrupted[next() % corrupted.length] ^= 1 << (next() % 8);
      try {
        inspectPsbt(decodePsbt(corrupted), vault, 'regtest');
      } catch (error) {
        expect(error).toBeInstanceOf(ConclaveError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('refuses version 2, oversized, non-base64 and non-PSBT input with distinct codes', () => {
    const v2 = ScureTransaction.fromPSBT(base64.decode(withdrawal())).toPSBT(2);
    const error = thrown(() => decodePsbt(v2));
    expect(error.code).toBe('PSBT_UNSUPPORTED_VERSION');
    expect(error.message).toMatch(/only PSBT version 0 is supported/);
    expect(thrown(() => decodePsbt('cHNidP8B'.padEnd(4000, 'A'), { maxBytes: 1000 })).message).toMatch(/larger than 1000 bytes/);
    expect(thrown(() => decodePsbt('not base64!')).message).toMatch(/not valid base64/);
    expect(thrown(() => decodePsbt(hexToBytes(fundingTx(vault.derive(0, 0).scriptPubKey, 1n).hex))).message).toMatch(/magic/);
    expect(() => inspectPsbt({ raw: decodePsbt(withdrawal()).raw, unsignedTxid: '', prevouts: [] }, vault, 'regtest')).toThrow(TypeError);
  });
});
