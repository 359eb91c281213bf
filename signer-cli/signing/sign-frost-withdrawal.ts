/**
 * A FROST Taproot vault's withdrawal from one keyholder's side (issue 4, points 4-5; RFC 9591
 * section 5 in its BIP340 ciphersuite; wire contract protocol/frost/signing-api.ts). The checks
 * are the multisig ones (sign-withdrawal.ts verifyPinnedWithdrawal, the same review and
 * journal); only the signing differs, in two rounds through the coordinator:
 *
 *   round 1  verified, shown, confirmed: fresh nonces per input with the input's child key,
 *            stored durably (nonce-store.ts), THEN the signed `frost.sign.commit` is sent.
 *   round 2  for a session that includes this signer: checkSigningPackage with the stored
 *            commitments (any failure: refused, no share), the withdrawal verified again, the
 *            journal entry written, the nonces destroyed durably, THEN the shares computed and
 *            sent in a signed `frost.sign.share`.
 *
 * Each run looks at the coordinator's view and the local nonce store and does what is left:
 * sign in the open session it can still sign in, re-send a stored commitment the coordinator
 * may not have, or commit fresh nonces when it has none waiting (a failed or timed-out session,
 * `frost.retry`). So after a kill at any step a rerun resumes: an unsent commitment is sent, a
 * session whose nonces were destroyed before the share left goes without this signer (it times
 * out at the coordinator) and fresh nonces are committed for the next one. Nonces never sign
 * twice: `take` spends them on disk before a share exists.
 */
import { bytesToHex, equalBytes } from '@noble/curves/utils.js';
import { ConclaveError } from '../../protocol/errors';
import {
  COMMITMENT_ID_BYTES, FROST_SIGN_MESSAGE_TYPES, type FrostChildKey, type FrostCommitBody, type FrostShareBody, type RandomBytes,
  checkSigningPackage, childSigningKey, commitNonces, commitmentHex, encodeSignatureShare, signShare,
} from '../../protocol/frost';
import type { TaprootKeySpend, WithdrawalSummary } from '../../protocol/intent';
import { type FrostSessionViewParsed, type FrostSigningViewParsed, frostSigningViewSchema, type WithdrawalViewParsed } from '../coordinator/views';
import { type FrostSecretStore, type LoadedFrostShare, loadFrostShare } from '../frost/frost-files';
import type { NonceStore, StoredCommitment } from '../frost/nonce-store';
import type { PinnedVault } from '../state/state-file';
import { governedReviewLines } from './governed-review';
import { reviewLines } from './review';
import { journalSignature, markSubmitted, recheckUnderLock, type SigningDeps, type SigningTransport, verifyPinnedWithdrawal } from './sign-withdrawal';

/** The durable steps, in order; `checkpoint` runs after each (tests crash there). */
export type FrostSigningStep = 'commit-stored' | 'commit-sent' | 'journaled' | 'nonces-destroyed' | 'share-sent';
export const FROST_SIGNING_STEPS: readonly FrostSigningStep[] = ['commit-stored', 'commit-sent', 'journaled', 'nonces-destroyed', 'share-sent'];

export interface FrostSigningDeps extends SigningDeps {
  secrets: FrostSecretStore;
  nonces: NonceStore;
  randomBytes: RandomBytes;
  checkpoint?: (step: FrostSigningStep) => void;
}

type Ids = { withdrawalId: string; vaultId: string };
export type FrostSigningOutcome =
  | Ids & { status: 'committed'; commitmentId: string; resent: boolean }
  | Ids & { status: 'shared'; sessionId: string; commitmentId: string; complete: boolean }
  /** The withdrawal's transaction is complete with this signer's shares. */
  | Ids & { status: 'signed'; intentHash: string; sessionId: string; resumed: boolean }
  | Ids & { status: 'waiting'; reason: string }
  /** Asked to sign in a session whose nonces this signer already spent (or never had): nothing is signed. */
  | Ids & { status: 'nonce-used'; sessionId: string; commitmentId: string | null; message: string }
  | Ids & { status: 'session-refused'; sessionId: string; reasons: string[] }
  | Ids & { status: 'refused'; reasons: string[] }
  | Ids & { status: 'declined' }
  | { status: 'skipped'; withdrawalId: string; reason: string };

interface Job {
  deps: FrostSigningDeps;
  withdrawal: WithdrawalViewParsed;
  pinned: PinnedVault;
  me: string;
  summary: WithdrawalSummary;
  keySpends: TaprootKeySpend[];
  journalRecord: Parameters<typeof journalSignature>[1];
  ids: Ids;
}

export async function fetchFrostView(client: SigningTransport, withdrawalId: string): Promise<FrostSigningViewParsed> {
  const view = await client.get(`/api/v1/withdrawals/${withdrawalId}/frost`, frostSigningViewSchema);
  if (view.withdrawalId !== withdrawalId) {
    throw new ConclaveError('COORDINATOR_ERROR', `coordinator: asked for the FROST rounds of ${withdrawalId}, answered with ${view.withdrawalId}`);
  }
  return view;
}

export async function processFrostSigningRequest(deps: FrostSigningDeps, withdrawal: WithdrawalViewParsed, options: { yes: boolean }): Promise<FrostSigningOutcome[]> {
  const current = deps.state.read();
  const ids = { withdrawalId: withdrawal.id, vaultId: withdrawal.vaultId };
  const pinned = current.vaults.find((v) => v.vaultId === withdrawal.vaultId);
  if (pinned === undefined) return [{ status: 'skipped', withdrawalId: withdrawal.id, reason: `vault ${withdrawal.vaultId} is not pinned by this signer` }];
  if (pinned.kind !== 'tr-frost') return [{ status: 'skipped', withdrawalId: withdrawal.id, reason: `vault ${withdrawal.vaultId} is not a FROST vault` }];
  const me = deps.keystore.identityKey;
  const view = await fetchFrostView(deps.client, withdrawal.id);
  if (withdrawal.state !== 'signing') return finished(deps, withdrawal, view, me);

  const verdict = verifyPinnedWithdrawal(withdrawal, pinned, deps.now(), current.journal, current.coordinatorKey);
  if (!verdict.ok) return [{ status: 'refused', ...ids, reasons: verdict.reasons }];
  if (verdict.kind !== 'tr-frost') throw new ConclaveError('INTERNAL', `withdrawal ${withdrawal.id}: a FROST vault gave a ${verdict.kind} verdict`);
  verdict.keySpends.forEach((s, i) => {
    if (s.input !== i) throw new ConclaveError('INTERNAL', `withdrawal ${withdrawal.id}: key spends out of input order`);
  });
  const job: Job = { deps, withdrawal, pinned, me, summary: verdict.summary, keySpends: verdict.keySpends, journalRecord: verdict.journalRecord, ids };

  // Round 2 first: a session waiting for this signer's shares.
  const outcomes: FrostSigningOutcome[] = [];
  const busy = await roundTwo(job, view, outcomes);
  tidy(job, view);
  if (busy) return outcomes;

  // Round 1: one commitment waiting at the coordinator, made and stored before it is sent.
  const records = deps.nonces.list(withdrawal.id);
  const live = records.filter((r) => r.state === 'fresh' && forThisTransaction(job, r) && sessionWith(view, me, r.commitmentId) === undefined);
  let sent: StoredCommitment;
  if (live.length > 0) {
    for (const extra of live.slice(1)) deps.nonces.discard(extra.commitmentId, deps.now());
    sent = live[0]!;
  } else if (view.waiting.includes(me)) {
    outcomes.push({ status: 'waiting', ...ids, reason: 'the coordinator holds an unused commitment of this signer that its nonce store does not have; a session with it times out, then fresh nonces are committed' });
    return outcomes;
  } else {
    const approvedBefore = records.some((r) => forThisTransaction(job, r))
      || current.journal.some((e) => e.withdrawalId === withdrawal.id && e.intentHash === withdrawal.intentHash && e.unsignedTxid === job.summary.unsignedTxid);
    if (!approvedBefore) {
      const review = [...reviewLines(job.summary, pinned.name), ...governedReviewLines(verdict.governed, pinned, current.journal, deps.now())];
      if (options.yes) deps.show(review);
      else if (!(await deps.confirm(review))) return [...outcomes, { status: 'declined', ...ids }];
    }
    sent = commitFresh(job);
  }
  const resent = live.length > 0;
  let after: FrostSigningViewParsed;
  try {
    after = await sendCommit(job, sent);
  } catch (error) {
    // The coordinator says it put this stored commitment in a session it does not show. The
    // nonces stay: the session may yet be shown (and signed in once), or it fails and the
    // commitment is spent with it (tidy). Earlier outcomes of this run are kept, not lost.
    if (!resent || !(error instanceof ConclaveError) || error.code !== 'FROST_COMMITMENT_INVALID') throw error;
    outcomes.push({ status: 'waiting', ...ids, reason: `the coordinator says commitment ${sent.commitmentId} is in a session it does not show: waiting for that session or its time-out (${error.message})` });
    return outcomes;
  }
  outcomes.push({ status: 'committed', ...ids, commitmentId: sent.commitmentId, resent });
  // This commitment completed a signing set: its session is open already.
  const opened = after.sessions.find((s) => s.state === 'signing' && ownCommitmentId(s, me) === sent.commitmentId);
  if (opened !== undefined) await roundTwo(job, { ...after, sessions: [opened] }, outcomes);
  return outcomes;
}

/**
 * Signs in the open session that includes this signer, if it can: returns whether this signer
 * is still of use in it (shares sent, waiting for the others), so no fresh commitment is needed.
 */
async function roundTwo(job: Job, view: FrostSigningViewParsed, outcomes: FrostSigningOutcome[]): Promise<boolean> {
  const { deps, me, ids } = job;
  const session = view.sessions.find((s) => s.state === 'signing' && s.signers.includes(me));
  if (session === undefined) return false;
  if (session.sharesFrom.includes(me)) {
    outcomes.push({ status: 'waiting', ...ids, reason: `shares sent in session ${session.sessionId}; waiting for the other signers` });
    return true;
  }
  const commitmentId = ownCommitmentId(session, me);
  const record = commitmentId === null ? null : deps.nonces.get(commitmentId);
  if (record === null || record.state !== 'fresh') {
    const why = record === null ? 'no nonces stored for it' : `its nonces were ${record.spent?.reason === 'signed' ? `spent at ${record.spent.at}` : 'discarded'}`;
    outcomes.push({
      status: 'nonce-used', ...ids, sessionId: session.sessionId, commitmentId,
      message: `session ${session.sessionId} asks for a share with commitment ${commitmentId ?? '(none)'}, but ${why}: nothing is signed; the session times out and fresh nonces are committed`,
    });
    return false;
  }
  const result = await shareInSession(job, session, record);
  outcomes.push(...result);
  return result.some((o) => o.status === 'shared');
}

async function shareInSession(job: Job, session: FrostSessionViewParsed, record: StoredCommitment): Promise<FrostSigningOutcome[]> {
  const { deps, withdrawal, pinned, me, ids, keySpends } = job;
  let commitmentLists;
  try {
    if (!forThisTransaction(job, record)) {
      throw new ConclaveError('FROST_SESSION_INVALID', `frost session: commitment ${record.commitmentId} was made for transaction ${record.unsignedTxid}, not ${job.summary.unsignedTxid}`);
    }
    ({ commitmentLists } = checkSigningPackage({
      session,
      withdrawal: { withdrawalId: withdrawal.id, vaultId: withdrawal.vaultId, intentHash: withdrawal.intentHash, unsignedTxid: job.summary.unsignedTxid, inputCount: keySpends.length },
      group: { participants: pinned.members.map((m) => m.identityKey), threshold: pinned.threshold },
      me: { identityKey: me, commitmentId: record.commitmentId, commitments: record.commitments },
    }));
  } catch (error) {
    if (!(error instanceof ConclaveError)) throw error;
    return [{ status: 'session-refused', ...ids, sessionId: session.sessionId, reasons: [`${error.code}: ${error.message}`] }];
  }

  let shares: string[];
  const share = loadFrostShare(deps.secrets, deps.state.read(), withdrawal.vaultId);
  const keys: FrostChildKey[] = [];
  try {
    for (const spend of keySpends) keys.push(childKey(share, spend));
    // Journal, then nonces spent on disk, and only then a share exists (invariants 4 and 9).
    journalSignature(deps.state, job.journalRecord, withdrawal.vaultId, deps.now(), recheckUnderLock(withdrawal, deps.now()));
    deps.checkpoint?.('journaled');
    const nonces = deps.nonces.take(record.commitmentId, session.sessionId, deps.now());
    deps.checkpoint?.('nonces-destroyed');
    shares = keys.map((key, i) => encodeSignatureShare(signShare(key.secret, key.public, nonces[i]!, commitmentLists[i]!, keySpends[i]!.sighash)));
  } finally {
    share.wipe();
    for (const key of keys) key.secret.signingShare.fill(0);
  }

  const body: FrostShareBody = {
    withdrawalId: withdrawal.id, sessionId: session.sessionId, intentHash: withdrawal.intentHash, unsignedTxid: job.summary.unsignedTxid,
    commitmentId: record.commitmentId, shares: shares.map((s, input) => ({ input, share: s })),
  };
  const envelope = deps.keystore.signEnvelope(FROST_SIGN_MESSAGE_TYPES.share, body, { now: deps.now(), ttlSeconds: deps.envelopeTtlSeconds });
  const { data: after } = await deps.client.post(`/api/v1/withdrawals/${withdrawal.id}/frost/sessions/${session.sessionId}/shares`, envelope, frostSigningViewSchema);
  deps.checkpoint?.('share-sent');
  markSubmitted(deps.state, withdrawal.id, withdrawal.intentHash, deps.now());
  const complete = after.sessions.some((s) => s.sessionId === session.sessionId && s.state === 'complete');
  const shared: FrostSigningOutcome = { status: 'shared', ...ids, sessionId: session.sessionId, commitmentId: record.commitmentId, complete };
  return complete ? [shared, { status: 'signed', ...ids, intentHash: withdrawal.intentHash, sessionId: session.sessionId, resumed: false }] : [shared];
}

/** Fresh nonces for every input, stored durably; the caller sends the commitment afterwards. */
function commitFresh(job: Job): StoredCommitment {
  const { deps, withdrawal } = job;
  const share = loadFrostShare(deps.secrets, deps.state.read(), withdrawal.vaultId);
  const made: Array<ReturnType<typeof commitNonces>> = [];
  try {
    for (const spend of job.keySpends) {
      const key = childKey(share, spend);
      try {
        made.push(commitNonces(key.secret, deps.randomBytes));
      } finally {
        key.secret.signingShare.fill(0);
      }
    }
    const stored = deps.nonces.create({
      withdrawalId: withdrawal.id, vaultId: withdrawal.vaultId, intentHash: withdrawal.intentHash, unsignedTxid: job.summary.unsignedTxid,
      commitmentId: bytesToHex(deps.randomBytes(COMMITMENT_ID_BYTES)),
      commitments: made.map((m) => commitmentHex(m.commitments)), nonces: made.map((m) => m.nonces),
    }, deps.now());
    deps.checkpoint?.('commit-stored');
    return stored;
  } finally {
    share.wipe();
    // The store holds the only copy from here on: signing reads it back, and spends it, from disk.
    for (const m of made) {
      m.nonces.hiding.fill(0);
      m.nonces.binding.fill(0);
    }
  }
}

/** Sends a stored commitment (again, after a crash: the coordinator takes the same statement body once). */
async function sendCommit(job: Job, record: StoredCommitment): Promise<FrostSigningViewParsed> {
  const { deps, withdrawal } = job;
  const body: FrostCommitBody = {
    withdrawalId: record.withdrawalId, vaultId: record.vaultId, intentHash: record.intentHash, unsignedTxid: record.unsignedTxid,
    commitmentId: record.commitmentId, inputs: record.commitments.map((c, input) => ({ input, hiding: c.hiding, binding: c.binding })),
  };
  const envelope = deps.keystore.signEnvelope(FROST_SIGN_MESSAGE_TYPES.commit, body, { now: deps.now(), ttlSeconds: deps.envelopeTtlSeconds });
  const { data } = await deps.client.post(`/api/v1/withdrawals/${withdrawal.id}/frost/commitments`, envelope, frostSigningViewSchema);
  if (data.withdrawalId !== withdrawal.id) throw new ConclaveError('COORDINATOR_ERROR', `coordinator: answered a commitment for ${withdrawal.id} with ${data.withdrawalId}`);
  deps.checkpoint?.('commit-sent');
  return data;
}

/** A withdrawal past `signing`: signed when a complete session has this signer's shares; unused nonces are spent. */
function finished(deps: FrostSigningDeps, withdrawal: WithdrawalViewParsed, view: FrostSigningViewParsed, me: string): FrostSigningOutcome[] {
  for (const r of deps.nonces.list(withdrawal.id)) if (r.state === 'fresh') deps.nonces.discard(r.commitmentId, deps.now());
  const done = view.sessions.find((s) => s.state === 'complete' && s.sharesFrom.includes(me));
  if (done === undefined) return [{ status: 'skipped', withdrawalId: withdrawal.id, reason: `withdrawal is ${withdrawal.state}, not signing` }];
  const entry = deps.state.read().journal.find((e) => e.withdrawalId === withdrawal.id && e.intentHash === withdrawal.intentHash);
  const resumed = entry !== undefined && entry.submittedAt === null;
  if (resumed) markSubmitted(deps.state, withdrawal.id, withdrawal.intentHash, deps.now());
  return [{ status: 'signed', withdrawalId: withdrawal.id, vaultId: withdrawal.vaultId, intentHash: withdrawal.intentHash, sessionId: done.sessionId, resumed }];
}

/** Spends fresh nonces that can never sign: for another transaction, or whose session ended without them. */
function tidy(job: Job, view: FrostSigningViewParsed): void {
  for (const r of job.deps.nonces.list(job.withdrawal.id)) {
    if (r.state !== 'fresh') continue;
    const session = sessionWith(view, job.me, r.commitmentId);
    if (!forThisTransaction(job, r) || (session !== undefined && session.state !== 'signing')) job.deps.nonces.discard(r.commitmentId, job.deps.now());
  }
}

function forThisTransaction(job: Job, r: StoredCommitment): boolean {
  return r.withdrawalId === job.withdrawal.id && r.vaultId === job.withdrawal.vaultId && r.intentHash === job.withdrawal.intentHash
    && r.unsignedTxid === job.summary.unsignedTxid;
}

/** The commitment id this signer's statement in the session names (checked by checkSigningPackage before use). */
function ownCommitmentId(session: FrostSessionViewParsed, me: string): string | null {
  const statement = session.commits[session.signers.indexOf(me)] as { signer?: unknown; body?: { commitmentId?: unknown } } | undefined;
  const id = statement?.signer === me ? statement.body?.commitmentId : undefined;
  return typeof id === 'string' && /^[0-9a-f]{32}$/.test(id) ? id : null;
}

function sessionWith(view: FrostSigningViewParsed, me: string, commitmentId: string): FrostSessionViewParsed | undefined {
  return view.sessions.find((s) => s.signers.includes(me) && ownCommitmentId(s, me) === commitmentId);
}

/** The input's child key; its output key must be the one this signer derived from the pinned descriptor. */
function childKey(share: LoadedFrostShare, spend: TaprootKeySpend): FrostChildKey {
  const key = childSigningKey(share.key, share.share, share.chainCode, spend.change, spend.index);
  if (!equalBytes(key.outputKey, spend.outputKey)) {
    key.secret.signingShare.fill(0);
    throw new ConclaveError('KEYSTORE_CORRUPT', `frost share ${share.setupId}: its key for ${spend.change}/${spend.index} is not the pinned vault's output key`);
  }
  return key;
}

/** The outcome as one JSON line or a few lines of text. */
export function describeFrostOutcome(outcome: FrostSigningOutcome): { data: Record<string, unknown>; text: string[] } {
  const data = { event: outcome.status, kind: 'tr-frost', ...outcome };
  switch (outcome.status) {
    case 'committed':
      return { data, text: [`Withdrawal ${outcome.withdrawalId}: ${outcome.resent ? 're-sent stored' : 'committed fresh'} nonces (commitment ${outcome.commitmentId}).`] };
    case 'shared':
      return { data, text: [`Withdrawal ${outcome.withdrawalId}: signature shares sent in session ${outcome.sessionId}${outcome.complete ? '; the transaction is complete' : ''}.`] };
    case 'signed':
      return { data, text: [`Signed withdrawal ${outcome.withdrawalId} (FROST session ${outcome.sessionId})${outcome.resumed ? ' (resumed)' : ''}.`] };
    case 'waiting':
      return { data, text: [`Withdrawal ${outcome.withdrawalId}: ${outcome.reason}.`] };
    case 'nonce-used':
      return { data: { ...data, code: 'FROST_NONCE_USED' }, text: [`Withdrawal ${outcome.withdrawalId}: FROST_NONCE_USED: ${outcome.message}.`] };
    case 'session-refused':
      return { data, text: [`REFUSED FROST session ${outcome.sessionId} of withdrawal ${outcome.withdrawalId}; no share was sent:`, ...outcome.reasons.map((r) => `  - ${r}`)] };
    case 'refused':
      return { data, text: [`REFUSED withdrawal ${outcome.withdrawalId}; nothing was signed:`, ...outcome.reasons.map((r) => `  - ${r}`)] };
    case 'declined':
      return { data, text: [`Declined withdrawal ${outcome.withdrawalId}; nothing was signed.`] };
    case 'skipped':
      return { data, text: [`Skipped withdrawal ${outcome.withdrawalId}: ${outcome.reason}.`] };
  }
}
