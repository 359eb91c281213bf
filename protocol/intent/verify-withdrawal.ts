/**
 * The signer's decision whether to sign a withdrawal (DESIGN.md invariant 3): a PSBT is signed
 * only when it implements exactly the intent a pinned keyholder proposed and signed. The
 * coordinator that relays all of this may be hostile, so every field it sends is checked here
 * against the signer's pinned descriptor and member keys, its clock and its own journal.
 *
 * The same checks hold for both vault kinds (script multisig and FROST Taproot); only the
 * sighash type differs (SIGHASH_ALL for multisig, SIGHASH_DEFAULT for Taproot), and a FROST
 * vault's verdict also carries, per input, the BIP341 key-path digest to sign and the child
 * position (change, index) whose key signs it.
 *
 * Pure: no clock, file or network access; the caller passes `now` and its journal. Every
 * failed check adds a reason and checking goes on, so a refusal lists all that is wrong.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { WithdrawalIntent } from '../api';
import { withdrawalIntentSchema } from '../api';
import { parseSats } from '../amounts';
import { type VaultDescriptor, type VaultKind } from '../descriptor';
import { ConclaveError } from '../errors';
import { identityFingerprint } from '../identity';
import type { NetworkName } from '../network';
import { GOVERNED_POLICY_VERSION, type SimplePolicy, type VaultPolicy, feeCaps, policyHash } from '../policy';
import type { WithdrawalVerdict } from '../policy-engine/evaluate-withdrawal';
import { paidOut } from '../policy-engine/velocity';
import { findMember } from '../policy-engine/members';
import {
  type DecodedPsbt, type PsbtSummary, SIGHASH_ALL, SIGHASH_DEFAULT, addressToScript, decodePsbt, descriptorOracle, inspectPsbt,
} from '../psbt';
import { feeRateToMsatPerVbyte, feeWithinRate } from './fee-rate';
import { countApprovals } from './approvals';
import { locktimeProblem } from './locktime';
import { checkGovernedPolicy } from './governed-policy-check';
import { intentHash, paymentsHash } from './intent-hash';
import { type VerifiedProposal, verifyProposal } from './proposal';
import { journalConflicts, outpointKey, type SigningCandidate, type SigningRecord } from './signing-journal';
import { type TaprootKeySpend, taprootKeySpends } from './taproot-key-spends';

export type { TaprootKeySpend } from './taproot-key-spends';

/**
 * Slack on the intent's fee rate. The coordinator sets the fee from its own estimate of the
 * signed size; this check divides by ours (psbt/vsize.ts, counting 72-byte signatures). The two
 * estimates of one transaction can differ by a few vbytes (signature length assumptions, weight
 * rounding), which on a small transaction is a few percent. 5% absorbs that disagreement
 * without letting a meaningful overpayment through; `maxFee` still caps the absolute loss.
 */
export const FEE_RATE_SLACK_PERCENT = 5n;
/**
 * Highest change index accepted. A change output at index 2^31-1 is still the vault's, but no
 * wallet that scans with a gap limit (Sparrow, Core) would ever find it: the money would vanish
 * from every watcher's view. Coordinators hand out change indexes in order, far below this.
 */
export const MAX_CHANGE_INDEX = 100_000;
/** Longest an intent may stay valid after its proposal was signed. */
export const MAX_INTENT_LIFETIME_DAYS = 30;
const MAX_INTENT_LIFETIME_MS = MAX_INTENT_LIFETIME_DAYS * 24 * 3600 * 1000;
/** Final, anti-fee-sniping, and RBF-signalling (BIP125) sequences; anything lower is a relative timelock (BIP68). */
const ACCEPTED_SEQUENCES = new Set([0xffffffff, 0xfffffffe, 0xfffffffd]);
/** The one sighash type signed per vault kind; any other lets outputs or inputs change after signing. */
const SIGNED_SIGHASH: Record<VaultKind, { type: number; name: string }> = {
  'wsh-sortedmulti': { type: SIGHASH_ALL, name: 'SIGHASH_ALL' },
  'tr-frost': { type: SIGHASH_DEFAULT, name: 'SIGHASH_DEFAULT (0x00) for a Taproot vault' },
};

export interface WithdrawalToVerify {
  id: string;
  intent: unknown;
  intentHash: string;
  /**
   * The proposer's signed `withdrawal.propose` envelope (`withdrawal.bump` for a fee bump) whose
   * body must be the intent, or token-proposal evidence (proposal.ts).
   */
  proposal: unknown;
  /** Base64 PSBT (BIP174 v0). */
  psbt: string;
  /** `withdrawal.approve` envelopes (or, for a governed policy, passkey statements) collected by the coordinator. */
  approvals: readonly unknown[];
}

export interface PinnedVaultForSigning {
  vaultId: string;
  descriptor: VaultDescriptor;
  /** Identity keys of the vault's keyholders, as this signer pinned them. */
  memberKeys: readonly string[];
  /** The policy pinned with the vault; for a governed one, its current pinned state. */
  policy: VaultPolicy;
  /** The coordinator key this signer pinned at join: the only key whose token proposals it believes. */
  coordinatorKey?: string | null;
}

export interface VerifyWithdrawalInput {
  withdrawal: WithdrawalToVerify;
  pinned: PinnedVaultForSigning;
  network: NetworkName;
  now: Date;
  journal: readonly SigningRecord[];
  /**
   * 'sign' (default) requires the policy's approvals (and a governed policy's delay); 'approve'
   * checks everything else, for a keyholder deciding whether to add their approval.
   */
  purpose?: 'sign' | 'approve';
}

export interface WithdrawalSummary {
  withdrawalId: string;
  vaultId: string;
  intentHash: string;
  unsignedTxid: string;
  requestId: string;
  memo: string;
  expiresAt: string;
  /** Identity key and fingerprint of the keyholder who signed the proposal. */
  proposer: { identityKey: string; fingerprint: string };
  destinations: Array<{ address: string; amount: bigint }>;
  change: Array<{ address: string; amount: bigint; index: number }>;
  inputs: Array<{ txid: string; vout: number; amount: bigint; change: 0 | 1; index: number }>;
  totalIn: bigint;
  fee: bigint;
  maxFee: bigint;
  vsize: number;
  /** sat/vB at the estimated signed size, and the intent's rate it was checked against. */
  feeRate: number;
  intentFeeRate: string;
  locktime: number;
}

interface Verified {
  summary: WithdrawalSummary;
  inputsToSign: number[];
  journalRecord: SigningCandidate;
  /** The policy engine's verdict, for a vault pinned with a governed policy (version 2). */
  governed?: WithdrawalVerdict;
}

export type VerifyWithdrawalResult =
  | Verified & { ok: true; kind: 'wsh-sortedmulti' }
  | Verified & { ok: true; kind: 'tr-frost'; keySpends: TaprootKeySpend[] }
  | { ok: false; reasons: string[] };

export function verifyWithdrawalForSigning(input: VerifyWithdrawalInput): VerifyWithdrawalResult {
  const { withdrawal, pinned, network, now } = input;
  const reasons: string[] = [];
  const intent = checkIntent(input, reasons);
  const proposal = checkProposal(input, intent, reasons);

  if (pinned.descriptor.network !== network) {
    reasons.push(`vault: the pinned descriptor is for ${pinned.descriptor.network}, this signer runs on ${network}`);
  }
  if (intent !== null) {
    if (intent.vaultId !== pinned.vaultId) reasons.push(`intent.vaultId: ${intent.vaultId} is not the pinned vault ${pinned.vaultId}`);
    if (intent.network !== network) reasons.push(`intent.network: ${intent.network}, but this signer runs on ${network}`);
    if (!(Date.parse(intent.expiresAt) > now.getTime())) reasons.push(`intent.expiresAt: the intent expired at ${intent.expiresAt}`);
  }

  let decoded: DecodedPsbt | null = null;
  let summary: PsbtSummary | null = null;
  try {
    decoded = decodePsbt(withdrawal.psbt);
    summary = inspectPsbt(decoded, descriptorOracle(pinned.descriptor), network);
  } catch (error) {
    reasons.push(error instanceof ConclaveError ? error.message : `psbt: cannot be inspected (${String(error)})`);
  }
  if (summary === null || decoded === null) return { ok: false, reasons };

  const inputs = checkInputs(summary, pinned.descriptor.kind, reasons);
  checkTransaction(summary, network, now, reasons);
  if (intent === null) return { ok: false, reasons };
  const journalRecord = journalCandidate(input, intent, summary);
  if (input.purpose !== 'approve') reasons.push(...journalConflicts(journalRecord, input.journal));
  const outputs = checkOutputs(intent, summary, network, reasons);
  checkFee(intent, summary, reasons);
  let governed: WithdrawalVerdict | null = null;
  if (pinned.policy.version !== GOVERNED_POLICY_VERSION) checkSimplePolicy(input, pinned.policy, intent, summary, proposal?.proposer ?? null, reasons);
  // The engine judges the proposer too: without a genuine proposal there is nothing to judge.
  else if (proposal !== null) governed = checkGovernedPolicy(input, pinned.policy, intent, summary, proposal, reasons);

  if (reasons.length > 0 || proposal === null) return { ok: false, reasons };
  const { proposer } = proposal;
  const inputsToSign = summary.inputs.map((i) => i.index);
  const verdict = {
    ...(governed ? { governed } : {}),
    inputsToSign,
    // What the signer writes to its journal, checked again under its state lock before signing.
    journalRecord,
    summary: {
      withdrawalId: withdrawal.id,
      vaultId: intent.vaultId,
      intentHash: withdrawal.intentHash,
      unsignedTxid: summary.unsignedTxid,
      requestId: intent.requestId,
      memo: intent.memo,
      expiresAt: intent.expiresAt,
      proposer: { identityKey: proposer, fingerprint: identityFingerprint(proposer) },
      destinations: outputs.destinations,
      change: outputs.change,
      inputs,
      totalIn: summary.totalIn,
      fee: summary.fee,
      maxFee: BigInt(intent.maxFee),
      vsize: summary.vsize,
      feeRate: summary.feeRate,
      intentFeeRate: intent.feeRate,
      locktime: summary.locktime,
    },
  };
  if (pinned.descriptor.kind !== 'tr-frost') return { ok: true, kind: 'wsh-sortedmulti', ...verdict };
  const keySpends = taprootKeySpends(pinned.descriptor, decoded, summary, reasons);
  if (keySpends === null) return { ok: false, reasons };
  return { ok: true, kind: 'tr-frost', ...verdict, keySpends };
}

/** The intent must parse strictly, and the withdrawal's intent hash must be the hash of it. */
function checkIntent({ withdrawal }: VerifyWithdrawalInput, reasons: string[]): WithdrawalIntent | null {
  const parsed = withdrawalIntentSchema.safeParse(withdrawal.intent);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    reasons.push(`intent.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    return null;
  }
  const expected = intentHash(parsed.data);
  if (withdrawal.intentHash !== expected) {
    reasons.push(`intentHash: ${withdrawal.intentHash} is not the hash of the intent (${expected})`);
  }
  return parsed.data;
}

/**
 * The proposal must be genuine (proposal.ts) and, under a simple policy, by a pinned keyholder;
 * a governed policy's proposing groups are checked with the rest of that policy.
 */
function checkProposal({ withdrawal, pinned }: VerifyWithdrawalInput, intent: WithdrawalIntent | null, reasons: string[]): VerifiedProposal | null {
  // Passkeys count only as pinned in this signer's own governed member set.
  const passkeysOf = (key: string) => (pinned.policy.version === GOVERNED_POLICY_VERSION ? findMember(pinned.policy.members, key)?.passkeys ?? [] : []);
  const proposal = verifyProposal(withdrawal.proposal, { intent, coordinatorKey: pinned.coordinatorKey ?? null, passkeysOf }, reasons);
  if (proposal === null) return null;
  let ok = true;
  if (pinned.policy.version !== GOVERNED_POLICY_VERSION && !pinned.memberKeys.includes(proposal.proposer)) {
    reasons.push(`proposal: signed by ${identityFingerprint(proposal.proposer)}, who is not a keyholder of the pinned vault`);
    ok = false;
  }
  // A bounded lifetime bounds how long an intent already paid could be replayed, with other
  // coins, to a keyholder whose journal never saw it.
  if (intent !== null && Date.parse(intent.expiresAt) - proposal.created.getTime() > MAX_INTENT_LIFETIME_MS) {
    reasons.push(`intent.expiresAt: more than ${MAX_INTENT_LIFETIME_DAYS} days after the proposal was signed`);
    ok = false;
  }
  return ok ? proposal : null;
}

/**
 * Outputs must be exactly the intent's outputs (same script and amount, each used once), plus
 * outputs that are provably change: scripts of the pinned descriptor on the change chain.
 */
function checkOutputs(intent: WithdrawalIntent, summary: PsbtSummary, network: NetworkName, reasons: string[]) {
  const unmatched = new Set(summary.outputs.map((o) => o.index));
  const destinations: WithdrawalSummary['destinations'] = [];
  intent.outputs.forEach((wanted, i) => {
    let script: string;
    let amount: bigint;
    try {
      script = bytesToHex(addressToScript(wanted.address, network, `intent.outputs[${i}].address`));
      amount = parseSats(wanted.amount, `intent.outputs[${i}].amount`);
    } catch (error) {
      reasons.push(error instanceof ConclaveError ? error.message : `intent.outputs[${i}]: invalid`);
      return;
    }
    const match = summary.outputs.find((o) => unmatched.has(o.index) && o.scriptPubKey === script && o.amount === amount);
    if (match === undefined) {
      reasons.push(`intent.outputs[${i}]: the PSBT does not pay ${amount} sat to ${wanted.address}`);
      return;
    }
    unmatched.delete(match.index);
    destinations.push({ address: wanted.address, amount });
  });

  const change: WithdrawalSummary['change'] = [];
  for (const output of summary.outputs.filter((o) => unmatched.has(o.index))) {
    const where = `psbt/output[${output.index}]`;
    const pays = `${output.amount} sat to ${output.address ?? `script ${output.scriptPubKey}`}`;
    if (output.vault === null) {
      reasons.push(`${where}: pays ${pays}, which is neither in the intent nor change of this vault`);
    } else if (output.vault.change !== 1) {
      reasons.push(`${where}: pays ${pays}, a receive address of the vault, not its change chain`);
    } else if (output.vault.index > MAX_CHANGE_INDEX) {
      reasons.push(`${where}: change at index ${output.vault.index}, beyond ${MAX_CHANGE_INDEX}, where no wallet would look for it`);
    } else {
      change.push({ address: output.address ?? output.scriptPubKey, amount: output.amount, index: output.vault.index });
    }
  }
  if (change.length > 1) reasons.push(`psbt: ${change.length} change outputs; a withdrawal has at most one`);
  return { destinations, change };
}

/**
 * Every input must be a coin of the vault, carry its full previous transaction and the witness
 * UTXO (checked to match it on decoding), and ask for the vault kind's one sighash type only.
 */
function checkInputs(summary: PsbtSummary, kind: VaultKind, reasons: string[]): WithdrawalSummary['inputs'] {
  const sighash = SIGNED_SIGHASH[kind];
  const seen = new Set<string>();
  const inputs: WithdrawalSummary['inputs'] = [];
  for (const input of summary.inputs) {
    const where = `psbt/input[${input.index}]`;
    const outpoint = outpointKey(input.txid, input.vout);
    if (seen.has(outpoint)) reasons.push(`${where}: spends ${outpoint} twice`);
    seen.add(outpoint);
    if (input.vault === null) reasons.push(`${where}: ${outpoint} is not a coin of this vault`);
    if (!input.hasFullPrevTx) reasons.push(`${where}: no full previous transaction, so its amount is unproven`);
    if (!input.hasWitnessUtxo) reasons.push(`${where}: no witness_utxo, which signers and other wallets need beside the full previous transaction`);
    if (input.sighashTypes.some((t) => t !== sighash.type)) {
      reasons.push(`${where}: asks for sighash type(s) ${input.sighashTypes.join(', ')}; only ${sighash.name} is signed`);
    }
    if (!ACCEPTED_SEQUENCES.has(input.sequence)) {
      reasons.push(`${where}: sequence 0x${input.sequence.toString(16)} sets a relative timelock (BIP68)`);
    }
    if (input.vault !== null) inputs.push({ txid: input.txid, vout: input.vout, amount: input.amount, ...input.vault });
  }
  return inputs;
}

/** Standard version, and a locktime that cannot delay the transaction (locktime.ts). */
function checkTransaction(summary: PsbtSummary, network: NetworkName, now: Date, reasons: string[]): void {
  if (summary.txVersion !== 1 && summary.txVersion !== 2) reasons.push(`psbt: transaction version ${summary.txVersion} is not standard`);
  const locktime = locktimeProblem(summary.locktime, network, now);
  if (locktime !== null) reasons.push(locktime);
}

function checkFee(intent: WithdrawalIntent, summary: PsbtSummary, reasons: string[]): void {
  const maxFee = BigInt(intent.maxFee);
  if (summary.fee > maxFee) reasons.push(`fee: ${summary.fee} sat exceeds the intent's cap of ${maxFee} sat`);
  const rate = feeRateToMsatPerVbyte(intent.feeRate, 'intent.feeRate');
  if (!feeWithinRate(summary.fee, summary.vsize, rate, FEE_RATE_SLACK_PERCENT)) {
    reasons.push(`fee: ${summary.fee} sat for about ${summary.vsize} vB is ${summary.feeRate.toFixed(2)} sat/vB, above the intent's ${intent.feeRate} sat/vB (+${FEE_RATE_SLACK_PERCENT}%)`);
  }
}

/**
 * Under a simple policy (version 1): the intent must act under the pinned policy; its fee caps
 * hold whatever the intent says; and (when signing) enough keyholders other than the proposer
 * approved this very intent.
 */
function checkSimplePolicy(input: VerifyWithdrawalInput, policy: SimplePolicy, intent: WithdrawalIntent, summary: PsbtSummary, proposer: string | null, reasons: string[]): void {
  const { pinned, withdrawal, now } = input;
  const pinnedHash = policyHash(policy);
  if (intent.policyHash !== pinnedHash) reasons.push(`intent.policyHash: ${intent.policyHash} is not the pinned policy ${pinnedHash}`);
  const caps = feeCaps(policy);
  const maxFee = BigInt(caps.maxFeeSats);
  if (summary.fee > maxFee) reasons.push(`fee: ${summary.fee} sat exceeds the policy's cap of ${maxFee} sat`);
  const maxRate = feeRateToMsatPerVbyte(caps.maxFeeRate, 'policy.maxFeeRate');
  if (!feeWithinRate(summary.fee, summary.vsize, maxRate, 0n)) {
    reasons.push(`fee: ${summary.feeRate.toFixed(2)} sat/vB is above the policy's cap of ${caps.maxFeeRate} sat/vB`);
  }
  if (proposer === null) return;
  const approvalReasons: string[] = [];
  const approvers = countApprovals(withdrawal.approvals, {
    withdrawalId: withdrawal.id, vaultId: pinned.vaultId, intentHash: withdrawal.intentHash, proposer, memberKeys: pinned.memberKeys, now,
  }, approvalReasons);
  if (input.purpose === 'approve') return;
  reasons.push(...approvalReasons);
  if (approvers.length < policy.requiredApprovals) {
    reasons.push(`approvals: ${approvers.length} valid of the ${policy.requiredApprovals} the pinned policy requires`);
  }
}

function journalCandidate({ withdrawal }: VerifyWithdrawalInput, intent: WithdrawalIntent, summary: PsbtSummary): SigningCandidate {
  return {
    vaultId: intent.vaultId,
    amountSats: paidOut(intent).toString(),
    destinations: intent.outputs.map((o) => o.address),
    withdrawalId: withdrawal.id,
    intentHash: withdrawal.intentHash,
    unsignedTxid: summary.unsignedTxid,
    inputs: summary.inputs.map((i) => outpointKey(i.txid, i.vout)),
    fee: summary.fee.toString(),
    paymentsHash: paymentsHash(intent),
    ...(intent.replaces === undefined ? {} : { replaces: intent.replaces }),
  };
}
