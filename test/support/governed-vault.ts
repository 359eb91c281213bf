/**
 * A governed vault (policy version 2) on a real in-process coordinator, for the governance and
 * governed-withdrawal tests: three keyholders (alice, bob: keyholders and approvers; carol:
 * keyholder and admin), two admins who hold no key (ada, ben), an initiator (ian), and an
 * outsider (zed). The coordinator's clock is frozen and moved by the test; every statement is
 * signed at the coordinator's "now", so delays and cooling-off are measured as in production.
 */
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { MESSAGE_TYPES, type CoordinatorEvent, type ServerFrame, type VaultView, type WithdrawalIntent, type WithdrawalView } from '../../protocol/api';
import type { ChangeView, PolicyView } from '../../protocol/governance-api';
import { GOVERNED_POLICY_VERSION, type GovernedPolicy } from '../../protocol/policy';
import { type ChangeProposal, type PolicyRules, partOf } from '../../protocol/policy-engine';
import { signVaultInputs } from '../../protocol/psbt';
import type { RunningCoordinator } from './in-process-coordinator';
import { type TestKeyholder, testKeyholder } from './test-keyholder';
import { setupVault, threeKeyholders } from './vault-scenario';

export type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
export type Reply<T> = { status: number; body: T & Partial<ErrorBody> };

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;

export const RULES: PolicyRules = {
  format: 2,
  version: 1,
  maxFeeSats: '50000',
  maxFeeRate: '20',
  withdrawals: {
    proposerGroups: ['initiators', 'keyholders'],
    tiers: [
      { name: 'small', upToSats: '300000', approvals: [{ group: 'approvers', count: 1 }], delaySeconds: 0 },
      { name: 'large', upToSats: '900000', approvals: [{ group: 'approvers', count: 1 }, { group: 'admins', count: 1 }], delaySeconds: 6 * 3600 },
    ],
    velocity: [{ windowSeconds: 24 * 3600, capSats: '700000' }],
  },
  addressBook: { quorum: [{ group: 'admins', count: 2 }], coolingOffSeconds: 24 * 3600, expireAfterDisuseSeconds: 30 * 24 * 3600 },
  changes: {
    policy: { quorum: [{ group: 'admins', count: 2 }], delaySeconds: 48 * 3600 },
    members: {
      quorum: [{ group: 'admins', count: 2 }],
      delaySeconds: 24 * 3600,
      whenSubjectIn: [{ group: 'keyholders', quorum: [{ group: 'keyholders', count: 1 }] }],
    },
  },
};

export interface Cast {
  alice: TestKeyholder; bob: TestKeyholder; carol: TestKeyholder;
  ada: TestKeyholder; ben: TestKeyholder; ian: TestKeyholder; zed: TestKeyholder;
  keyholders: TestKeyholder[];
}

export function cast(): Cast {
  const [alice, bob, carol] = threeKeyholders() as [TestKeyholder, TestKeyholder, TestKeyholder];
  const other = (name: string) => testKeyholder(name, `${name} governance test words one two three four five six seven eight`);
  return { alice, bob, carol, ada: other('ada'), ben: other('ben'), ian: other('ian'), zed: other('zed'), keyholders: [alice, bob, carol] };
}

export function governedPolicy(c: Cast, rules: PolicyRules = RULES): GovernedPolicy {
  const member = (k: TestKeyholder, groups: string[]) => ({ identityKey: k.identityKey, name: k.name, groups });
  return {
    version: GOVERNED_POLICY_VERSION,
    rules,
    members: {
      revision: 0,
      members: [
        member(c.alice, ['approvers', 'keyholders']), member(c.bob, ['approvers', 'keyholders']), member(c.carol, ['admins', 'keyholders']),
        member(c.ada, ['admins']), member(c.ben, ['admins']), member(c.ian, ['initiators']),
      ],
    },
    addressBook: { revision: 0, entries: [] },
  };
}

/**
 * The test's time, frozen at the start and moved by the test: `Date` itself is faked (timers
 * stay real), so the coordinator's clock, the statements the test signs and the sessions its
 * reads use all agree. A move opens a fresh session for the acting member, since sessions
 * expire by the same clock.
 */
export class TestTime {
  private current = new Date();

  constructor(private readonly coord: RunningCoordinator) {
    jest.useFakeTimers({
      now: this.current,
      doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback',
        'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
    });
  }

  get now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
    jest.setSystemTime(this.current);
    const actor = this.coord.actor;
    if (actor !== null) this.coord.actAs({ identitySecret: actor.identitySecret });
  }

  restore(): void {
    jest.useRealTimers();
  }
}

export async function createGovernedVault(coord: RunningCoordinator, c: Cast, policy: GovernedPolicy = governedPolicy(c)): Promise<VaultView> {
  return setupVault(coord, c.keyholders, 2, policy);
}

export class Governance {
  constructor(private readonly coord: RunningCoordinator, private readonly vaultId: string, private readonly time: TestTime) {}

  async policy(): Promise<PolicyView> {
    const res = await this.coord.call<PolicyView>('GET', `/api/v1/vaults/${this.vaultId}/policy`);
    if (res.status !== 200) throw new Error(`policy: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Signs a proposal naming the current hash of the part it changes, unless `base` is given. */
  async propose(by: TestKeyholder, change: Record<string, unknown> & { op: ChangeProposal['op'] }): Promise<Reply<ChangeView>> {
    return this.coord.call('POST', `/api/v1/vaults/${this.vaultId}/changes`, by.sign(MESSAGE_TYPES.governancePropose, await this.body(change), this.time.now));
  }

  async body(change: Record<string, unknown> & { op: ChangeProposal['op'] }): Promise<Record<string, unknown>> {
    const parts = (await this.policy()).parts!;
    return { vaultId: this.vaultId, base: parts[partOf(change.op)], reason: 'test', ...change };
  }

  approve(changeId: string, by: TestKeyholder): Promise<Reply<ChangeView>> {
    return this.coord.call('POST', `/api/v1/vaults/${this.vaultId}/changes/${changeId}/approvals`, by.sign(MESSAGE_TYPES.governanceApprove, { vaultId: this.vaultId, changeId }, this.time.now));
  }

  async get(changeId: string): Promise<ChangeView> {
    return (await this.coord.call<ChangeView>('GET', `/api/v1/vaults/${this.vaultId}/changes/${changeId}`)).body;
  }

  /** Proposed by `by` and approved by each of `approvers`, in order; the last answer. */
  async pass(by: TestKeyholder, change: Record<string, unknown> & { op: ChangeProposal['op'] }, approvers: TestKeyholder[]): Promise<ChangeView> {
    const proposed = await this.propose(by, change);
    if (proposed.status !== 201) throw new Error(`propose: ${JSON.stringify(proposed.body)}`);
    let view = proposed.body;
    for (const a of approvers) {
      const res = await this.approve(view.changeId, a);
      if (res.status !== 200) throw new Error(`approve: ${JSON.stringify(res.body)}`);
      view = res.body;
    }
    return view;
  }
}

/** A keyholder's live connection: the events pushed to it. */
export async function listen(coord: RunningCoordinator, k: TestKeyholder): Promise<{ events: CoordinatorEvent[]; close(): void }> {
  const socket = new WebSocket(`${coord.url.replace(/^http/, 'ws')}/ws`);
  const events: CoordinatorEvent[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no ready frame')), 5000);
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      if (frame.type === 'challenge') socket.send(JSON.stringify({ type: 'auth', envelope: k.sign(MESSAGE_TYPES.wsAuth, { challenge: frame.challenge }) }));
      else if (frame.type === 'ready') {
        clearTimeout(timer);
        resolve();
      } else if (frame.type === 'event') events.push(frame.event);
    });
    socket.on('error', reject);
  });
  return { events, close: () => socket.close() };
}

export async function eventually(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 10));
}

/** A withdrawal intent of the governed vault, signed at the coordinator's "now" and valid for a day. */
export function proposeWithdrawal(coord: RunningCoordinator, vault: VaultView, by: TestKeyholder, time: TestTime, pay: Array<[string, bigint]>, overrides: Partial<WithdrawalIntent> = {}): Promise<Reply<WithdrawalView>> {
  const intent: WithdrawalIntent = {
    vaultId: vault.id, network: 'regtest', requestId: randomUUID(), outputs: pay.map(([address, amount]) => ({ address, amount: amount.toString() })),
    feeRate: '2', maxFee: '50000', memo: '', expiresAt: new Date(time.now.getTime() + 2 * DAY).toISOString(), policyHash: vault.policyHash, ...overrides,
  };
  return coord.call('POST', `/api/v1/vaults/${vault.id}/withdrawals`, by.sign(MESSAGE_TYPES.withdrawalPropose, intent, time.now));
}

export function approveWithdrawal(coord: RunningCoordinator, w: WithdrawalView, by: TestKeyholder, time: TestTime): Promise<Reply<WithdrawalView>> {
  return coord.call('POST', `/api/v1/withdrawals/${w.id}/approvals`, by.sign(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: w.id, vaultId: w.vaultId, intentHash: w.intentHash }, time.now));
}

/** `by`'s partial signature of the withdrawal's first input, with its own account key, at the coordinator's "now". */
export function signWithdrawal(coord: RunningCoordinator, w: WithdrawalView, by: TestKeyholder, time: TestTime): Promise<Reply<WithdrawalView>> {
  return coord.call('POST', `/api/v1/withdrawals/${w.id}/signatures`, by.sign(MESSAGE_TYPES.withdrawalSignature, {
    withdrawalId: w.id, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid,
    partialSigs: signVaultInputs(w.psbt, by.account, { fingerprint: by.accountKey.fingerprint, path: by.accountPath }, [0]).partialSigs,
  }, time.now));
}

/** The address enters the book by carol's proposal and ada's and ben's approvals (the admins' quorum). */
export async function addToAddressBook(gov: Governance, c: Cast, address: string, label = 'payee'): Promise<ChangeView> {
  const view = await gov.pass(c.carol, { op: 'address-book.add', address, label }, [c.ada, c.ben]);
  if (view.status !== 'applied') throw new Error(`address-book.add not applied: ${JSON.stringify(view)}`);
  return view;
}
