/**
 * The signer's audit check against a stub coordinator: the whole log is fetched page by page
 * and verified under the pinned key, and every head this signer saw before must still be in it.
 * A coordinator that rewrites (and re-signs) or truncates its history after a signer saw a head
 * is refused; honest growth passes and each verified head is remembered.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { canonicalJson } from '../../protocol/canonical-json';
import type { AuditRecord } from '../../protocol/audit';
import { ConclaveError } from '../../protocol/errors';
import {
  COORDINATOR_KEY, COORDINATOR_SECRET, buildAuditChain, grownSpecs, relinkFrom, sampleSpecs, toAuditView,
} from '../../test/support/audit-chain-fixture';
import { StateStore } from '../state/state-file';
import { type AuditLogClient, fetchAuditLog, verifyCoordinatorAuditLog } from './audit-log';
import { rememberSeenHead } from './seen-heads';

/** Serves `log` as GET /api/v1/audit?after=&limit= does, and records the requests. */
class StubCoordinator implements AuditLogClient {
  readonly baseUrl = 'http://stub.invalid';
  readonly requests: string[] = [];
  constructor(public log: AuditRecord[]) {}

  async get<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> {
    this.requests.push(path);
    const url = new URL(path, this.baseUrl);
    const after = Number(url.searchParams.get('after') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 1000);
    return schema.parse(this.log.filter((r) => r.seq > after).slice(0, limit).map(toAuditView));
  }
}

function pinnedState(): StateStore {
  const state = new StateStore(mkdtempSync(join(tmpdir(), 'conclave-audit-')));
  state.update((s) => { s.coordinatorKey = COORDINATOR_KEY; });
  return state;
}

async function refusal(promise: Promise<unknown>): Promise<ConclaveError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConclaveError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const grown = () => buildAuditChain(grownSpecs());

describe('audit verify in the signer', () => {
  test('honest growth passes, and each verified head is remembered', async () => {
    const state = pinnedState();
    const coordinator = new StubCoordinator(buildAuditChain(sampleSpecs()));
    const first = await verifyCoordinatorAuditLog(coordinator, state);
    expect(first).toMatchObject({ count: 5, head: { seq: 5 }, verified: { links: 5, coordinatorSignatures: 5, evidence: 4, seenHeads: 0 } });
    coordinator.log = grown();
    const second = await verifyCoordinatorAuditLog(coordinator, state);
    expect(second).toMatchObject({ count: 8, head: { seq: 8 }, verified: { seenHeads: 1 } });
    expect(state.read().auditHeads.map((h) => h.seq)).toEqual([5, 8]);
  });

  test('history rewritten after this signer saw a head is refused, even re-signed with the coordinator key', async () => {
    const state = pinnedState();
    const coordinator = new StubCoordinator(grown());
    await verifyCoordinatorAuditLog(coordinator, state);
    const edited = coordinator.log.map((r) => ({ ...r }));
    // A coordinator step's own claim, which no member's statement covers.
    edited[4]!.payload = canonicalJson({ keyholders: 3 });
    coordinator.log = relinkFrom(edited, 5, COORDINATOR_SECRET);
    const error = await refusal(verifyCoordinatorAuditLog(coordinator, state));
    expect(error.code).toBe('AUDIT_HISTORY_REWRITTEN');
    expect(error.message).toMatch(/saw head seq 8 .* \(rewritten\)/);
    expect(state.read().auditHeads.map((h) => h.seq)).toEqual([8]);
  });

  test('a history truncated after this signer saw a head is refused', async () => {
    const state = pinnedState();
    const coordinator = new StubCoordinator(grown());
    await verifyCoordinatorAuditLog(coordinator, state);
    coordinator.log = coordinator.log.slice(0, 5);
    const error = await refusal(verifyCoordinatorAuditLog(coordinator, state));
    expect(error.code).toBe('AUDIT_HISTORY_REWRITTEN');
    expect(error.message).toMatch(/ends at seq 5, before it \(truncated\)/);
  });

  test('a rewrite without the coordinator key fails on its signatures; an edit alone breaks the chain', async () => {
    const state = pinnedState();
    const edited = grown().map((r) => ({ ...r }));
    edited[1]!.payload = canonicalJson({ name: 'mallory' });
    expect((await refusal(verifyCoordinatorAuditLog(new StubCoordinator(edited), state))).code).toBe('AUDIT_CHAIN_BROKEN');
    const error = await refusal(verifyCoordinatorAuditLog(new StubCoordinator(relinkFrom(edited, 2)), state));
    expect(error).toMatchObject({ code: 'AUDIT_COORDINATOR_SIG_INVALID', details: { seq: 2, verifiedUpTo: 1 } });
    expect(error.message).toMatch(/events 1\.\.1 verified/);
  });

  test('without a pinned coordinator key nothing can be verified', async () => {
    const state = new StateStore(mkdtempSync(join(tmpdir(), 'conclave-audit-')));
    expect((await refusal(verifyCoordinatorAuditLog(new StubCoordinator(grown()), state))).code).toBe('COORDINATOR_KEY_NOT_PINNED');
  });

  test('the log is fetched page by page, and a coordinator that pages backwards is refused', async () => {
    const coordinator = new StubCoordinator(grown());
    expect((await fetchAuditLog(coordinator, 3)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(coordinator.requests).toEqual(['/api/v1/audit?after=0&limit=3', '/api/v1/audit?after=3&limit=3', '/api/v1/audit?after=6&limit=3']);
    const looping = new StubCoordinator(grown());
    looping.get = async <S extends z.ZodType>(_path: string, schema: S) => schema.parse(looping.log.slice(0, 3).map(toAuditView));
    expect((await refusal(fetchAuditLog(looping, 3))).code).toBe('AUDIT_CHAIN_BROKEN');
  });
});

describe('heads pushed to the signer', () => {
  const log = grown();
  const head = (seq: number) => ({ seq, hash: log[seq - 1]!.hash, coordinatorSig: log[seq - 1]!.coordinatorSig! });

  test('a head signed by the pinned key is kept once; a forged or unsigned one is not', () => {
    const state = pinnedState();
    expect(rememberSeenHead(state, head(3))).toEqual({ status: 'recorded' });
    expect(rememberSeenHead(state, head(3))).toEqual({ status: 'known' });
    expect(rememberSeenHead(state, { ...head(4), coordinatorSig: head(5).coordinatorSig })).toEqual({ status: 'bad-signature' });
    expect(state.read().auditHeads).toEqual([{ seq: 3, hash: log[2]!.hash }]);
    const unpinned = new StateStore(mkdtempSync(join(tmpdir(), 'conclave-audit-')));
    expect(rememberSeenHead(unpinned, head(3))).toEqual({ status: 'not-pinned' });
  });

  test('a signed head that contradicts one seen before is reported and does not replace it', () => {
    const state = pinnedState();
    rememberSeenHead(state, head(3));
    const edited = log.map((r) => ({ ...r }));
    edited[0]!.payload = canonicalJson({ name: 'mallory' });
    const rewritten = relinkFrom(edited, 1, COORDINATOR_SECRET);
    const other = { seq: 3, hash: rewritten[2]!.hash, coordinatorSig: rewritten[2]!.coordinatorSig! };
    expect(rememberSeenHead(state, other)).toEqual({ status: 'conflict', previous: { seq: 3, hash: log[2]!.hash } });
    expect(state.read().auditHeads).toEqual([{ seq: 3, hash: log[2]!.hash }]);
  });
});
