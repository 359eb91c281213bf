/**
 * Rolling velocity limits per vault (DESIGN.md, "Policy"): the total paid out within any
 * window must stay at or under the cap. A signer counts what it signed itself, from its own
 * journal, so a coordinator that hides earlier withdrawals gains nothing, and exceeding a
 * limit takes m compromised signers.
 *
 * Pure: the caller passes its journal and `now`. The signer MUST record a `PaidOutRecord`
 * durably, by its own clock, before its signature leaves the machine (as with the signing
 * journal of protocol/intent), or a crash would forget money already signed away.
 */
import type { WithdrawalIntent } from '../api';
import { parseSats } from '../amounts';
import { paymentsHash } from '../intent/intent-hash';
import type { VelocityLimit } from './rules';
import { formatDuration } from './time';

/** What a signer remembers of each withdrawal it signed, for velocity and address-book use. */
export interface PaidOutRecord {
  vaultId: string;
  withdrawalId: string;
  /** `paymentsHash` of the intent: a fee bump or a second signature of it pays the same again. */
  paymentsHash: string;
  /** When this signer signed, by its own clock (ISO 8601). */
  signedAt: string;
  /** Total paid to the intent's outputs, in sats (decimal string); change is not paid out. */
  amountSats: string;
  /** The intent's output addresses, whose address-book entries this use keeps alive. */
  destinations: readonly string[];
}

/**
 * Total the intent pays to its outputs; change outputs are not in the intent, the fee is capped
 * apart. The intent MUST be parsed by `withdrawalIntentSchema` (amounts are decimal strings);
 * an absurd total is no error here: it is above every tier and every velocity cap.
 */
export function paidOut(intent: Pick<WithdrawalIntent, 'outputs'>): bigint {
  return intent.outputs.reduce((sum, o) => sum + BigInt(o.amount), 0n);
}

export function paidOutRecord(intent: WithdrawalIntent, withdrawalId: string, signedAt: Date): PaidOutRecord {
  return {
    vaultId: intent.vaultId,
    withdrawalId,
    paymentsHash: paymentsHash(intent),
    signedAt: signedAt.toISOString(),
    amountSats: paidOut(intent).toString(),
    destinations: intent.outputs.map((o) => o.address),
  };
}

export interface VelocityUse {
  windowSeconds: number;
  capSats: bigint;
  /** Paid out in the window before this withdrawal, and with it. */
  earlierSats: bigint;
  totalSats: bigint;
}

export interface VelocityCheck {
  uses: VelocityUse[];
  reasons: string[];
}

/**
 * Checks every limit for a withdrawal paying `amount`. A record counts when it was signed less
 * than `windowSeconds` before `now`; one dated after `now` (the clock went back) counts too.
 * Records of the same withdrawal and payments count once: a fee bump or a repeated signature
 * pays the same outputs again, and only one such transaction can confirm. The withdrawal being
 * checked replaces its own earlier records rather than adding to them.
 */
export function checkVelocity(args: {
  limits: readonly VelocityLimit[];
  vaultId: string;
  withdrawalId: string;
  paymentsHash: string;
  amount: bigint;
  journal: readonly PaidOutRecord[];
  now: Date;
}): VelocityCheck {
  const reasons: string[] = [];
  const records = journalOfVault(args.journal, args.vaultId, reasons);
  const self = paymentKey(args);
  const uses = args.limits.map((limit) => {
    const since = args.now.getTime() - limit.windowSeconds * 1000;
    const counted = new Map<string, bigint>();
    for (const r of records) {
      if (r.signedAt > since && r.key !== self) counted.set(r.key, r.amount);
    }
    const earlierSats = [...counted.values()].reduce((a, b) => a + b, 0n);
    const use: VelocityUse = { windowSeconds: limit.windowSeconds, capSats: BigInt(limit.capSats), earlierSats, totalSats: earlierSats + args.amount };
    if (use.totalSats > use.capSats) {
      reasons.push(`velocity: ${use.earlierSats} sat signed in the last ${formatDuration(limit.windowSeconds * 1000)} plus this withdrawal's ${args.amount} sat is ${use.totalSats} sat, over the cap of ${use.capSats} sat by ${use.totalSats - use.capSats} sat`);
    }
    return use;
  });
  return { uses, reasons };
}

interface ParsedRecord {
  key: string;
  amount: bigint;
  signedAt: number;
}

/** The vault's records, parsed; a record that does not parse is a reason, never silently skipped. */
function journalOfVault(journal: readonly PaidOutRecord[], vaultId: string, reasons: string[]): ParsedRecord[] {
  const parsed: ParsedRecord[] = [];
  journal.forEach((record, i) => {
    if (record.vaultId !== vaultId) return;
    const signedAt = Date.parse(record.signedAt);
    let amount: bigint;
    try {
      amount = parseSats(record.amountSats, `journal[${i}].amountSats`);
    } catch {
      return void reasons.push(`journal[${i}]: amount ${JSON.stringify(record.amountSats)} is not a sat amount, so the velocity limit cannot be checked`);
    }
    if (Number.isNaN(signedAt)) return void reasons.push(`journal[${i}]: signedAt ${JSON.stringify(record.signedAt)} is not a time, so the velocity limit cannot be checked`);
    parsed.push({ key: paymentKey(record), amount, signedAt });
  });
  return parsed;
}

function paymentKey(record: { withdrawalId: string; paymentsHash: string }): string {
  return `${record.withdrawalId}/${record.paymentsHash}`;
}
