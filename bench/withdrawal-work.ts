/**
 * The signing and verification work of one 2-of-3 P2WSH withdrawal, with any number of inputs,
 * done in this process with no I/O: the raw bound the benchmarks compare the coordinator with.
 * It runs what the three parties run: the proposer's signed intent and its check, coin
 * selection over exactly the coins given, the PSBT build and inspection, each of the two
 * signers' full verification, signing and signed statement, the coordinator's check of every
 * partial signature, and finalization. Nothing is done once where the real flow does it twice
 * or thrice (each signer verifies on its own), so the comparison is like for like.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { MESSAGE_TYPES, type WithdrawalIntent } from '../protocol/api';
import { dustThreshold } from '../protocol/address';
import { type MultisigVaultDescriptor, deriveVaultScript } from '../protocol/descriptor';
import { verifyEnvelope } from '../protocol/envelope';
import { intentHash } from '../protocol/intent/intent-hash';
import { verifyWithdrawalForSigning } from '../protocol/intent/verify-withdrawal';
import { DEFAULT_POLICY, policyHash } from '../protocol/policy';
import {
  addressToScript, buildWithdrawalPsbt, descriptorOracle, finalizeWithSignatures, inspectPsbt, signVaultInputs, vaultGlobalXpubs, vaultInputWeight, verifyPartialSignatures,
} from '../protocol/psbt';
import { selectCoins } from '../server/withdrawals/coin-selection';
import { fundingTxPaying } from '../test/support/funding-tx';
import type { TestKeyholder } from '../test/support/test-keyholder';

export const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
/** Every benchmark coin is worth this much, so that how many are spent follows from the amount asked. */
export const COIN_SATS = 1_000_000n;

/** A coin paying the vault's receive address at `index`, in a funding transaction of its own (as most deposits are). */
export interface BenchCoin { txid: string; vout: number; hex: string; index: number }

export function coinAt(descriptor: MultisigVaultDescriptor, index: number): BenchCoin {
  const funding = fundingTxPaying([{ script: deriveVaultScript(descriptor, 0, index).scriptPubKey, amount: COIN_SATS }], new Uint8Array(randomBytes(32)));
  return { txid: funding.txid, vout: 0, hex: funding.hex, index };
}

/**
 * An intent that spends all of `inputs` coins: half a coin less than they hold, so that one
 * fewer cannot pay it and the other half pays the fee (about 100 sats per input at 2 sat/vB)
 * and the change.
 */
export function intentSpending(vaultId: string, inputs: number): WithdrawalIntent {
  const amount = COIN_SATS * BigInt(inputs) - COIN_SATS / 2n;
  return {
    vaultId, network: 'regtest', requestId: randomUUID(), outputs: [{ address: DESTINATION, amount: amount.toString() }],
    feeRate: '2', maxFee: DEFAULT_POLICY.maxFeeSats, memo: '', expiresAt: new Date(Date.now() + 3600_000).toISOString(), policyHash: policyHash(DEFAULT_POLICY),
  };
}

export interface WithdrawalWork {
  keyholders: TestKeyholder[];
  descriptor: MultisigVaultDescriptor;
  vaultId: string;
  coins: BenchCoin[];
  changeIndex: number;
}

/** One withdrawal spending every coin given, start to finish, in this process. */
export function withdrawInProcess({ keyholders, descriptor, vaultId, coins, changeIndex }: WithdrawalWork): void {
  const intent = intentSpending(vaultId, coins.length);
  const proposal = keyholders[0]!.sign(MESSAGE_TYPES.withdrawalPropose, intent);
  verifyEnvelope(proposal, { now: new Date(), expectedType: MESSAGE_TYPES.withdrawalPropose });
  const oracle = descriptorOracle(descriptor);
  const destination = addressToScript(DESTINATION, 'regtest');
  const change = deriveVaultScript(descriptor, 1, changeIndex);
  const selection = selectCoins({
    coins: coins.map((c) => ({ txid: c.txid, vout: c.vout, amount: COIN_SATS })),
    outputsTotal: BigInt(intent.outputs[0]!.amount), outputScripts: [destination], changeScript: change.scriptPubKey,
    changeDust: dustThreshold(change.scriptPubKey), feeRate: intent.feeRate, inputWeight: vaultInputWeight(change),
  });
  if (!selection.ok || selection.inputs.length !== coins.length) throw new Error(`in-process coin selection did not spend all ${coins.length} coins`);
  const byOutpoint = new Map(coins.map((c) => [`${c.txid}:${c.vout}`, c]));
  const psbt = buildWithdrawalPsbt({
    network: 'regtest',
    inputs: selection.inputs.map((s) => {
      const coin = byOutpoint.get(`${s.txid}:${s.vout}`)!;
      return { txid: coin.txid, vout: coin.vout, prevTxHex: coin.hex, script: deriveVaultScript(descriptor, 0, coin.index) };
    }),
    outputs: [{ address: DESTINATION, amount: BigInt(intent.outputs[0]!.amount) }],
    change: selection.change > 0n ? { script: change, amount: selection.change } : undefined,
    globalXpubs: vaultGlobalXpubs(descriptor),
    locktime: 0,
  });
  const summary = inspectPsbt(psbt, oracle, 'regtest');
  const withdrawal = { id: randomUUID(), intent, intentHash: intentHash(intent), proposal, psbt, approvals: [] };
  const pinned = { vaultId, descriptor, memberKeys: keyholders.map((h) => h.identityKey), policy: DEFAULT_POLICY };
  const sigs = keyholders.slice(1).flatMap((k) => {
    const verdict = verifyWithdrawalForSigning({ withdrawal, pinned, network: 'regtest', now: new Date(), journal: [] });
    if (!verdict.ok) throw new Error(`in-process verification refused: ${verdict.reasons.join('; ')}`);
    const signed = signVaultInputs(psbt, k.account, { fingerprint: k.accountKey.fingerprint, path: k.accountPath }, verdict.inputsToSign).partialSigs;
    const envelope = k.sign(MESSAGE_TYPES.withdrawalSignature, { withdrawalId: withdrawal.id, intentHash: withdrawal.intentHash, unsignedTxid: summary.unsignedTxid, partialSigs: signed });
    verifyEnvelope(envelope, { now: new Date(), expectedType: MESSAGE_TYPES.withdrawalSignature });
    verifyPartialSignatures(psbt, signed, oracle);
    return signed;
  });
  finalizeWithSignatures(psbt, sigs, 2);
}
