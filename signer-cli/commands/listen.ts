/**
 * `listen [--yes] [--exit-after <n>] [--vault <id>]`: the keyholder's signing loop. Connects
 * to the coordinator's event stream, and on every (re)connect also looks for withdrawals left
 * in state `signing` in the pinned vaults, so a signer that was down or killed resumes where it
 * stopped. Each request is verified, shown, confirmed (unless --yes), journaled, signed and
 * submitted one at a time; anything that fails verification is refused with every reason.
 * Every `audit.head` pushed is kept in state.json once its coordinator signature verifies under
 * the pinned key, so that `audit verify` can later tell whether history was rewritten.
 *
 * FROST vaults sign in rounds (signing/sign-frost-withdrawal.ts): `frost.session` and
 * `frost.retry` pushes, and the scan on (re)connect, run the withdrawal's next step; the nonce
 * store is sealed with one key derived once for the whole session. A FROST withdrawal counts
 * as signed (for --exit-after) once its transaction is complete with this signer's shares, so
 * a listener whose session failed stays for the fresh round. For end-to-end tests only,
 * CONCLAVE_TEST_KILL_AT=<step> (a FrostSigningStep) makes the process SIGKILL itself right
 * after that durable step.
 *
 * Governed vaults (signer-cli/governance/follower.ts): their quorum-approved changes are synced
 * on connect, on every `governance.*` push (with a notice to the keyholder) and before a
 * withdrawal is verified, so a change that took effect is pinned before signing under it.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { MESSAGE_TYPES, idSchema, type CoordinatorEvent } from '../../protocol/api';
import { ConclaveError, isErrorCode } from '../../protocol/errors';
import type { CliContext } from '../context';
import type { CoordinatorClient } from '../coordinator/client';
import { rememberSeenHead } from '../audit/seen-heads';
import { EventStream } from '../coordinator/event-stream';
import { auditHeadEventSchema, withdrawalViewSchema, type WithdrawalViewParsed } from '../coordinator/views';
import { type FrostSecretStore, withFrostSecrets } from '../frost/frost-files';
import { GovernanceFollower } from '../governance/follower';
import { NonceStore } from '../frost/nonce-store';
import type { UnlockedKeystore } from '../keystore/keystore';
import type { CommandResult } from '../output';
import {
  describeFrostOutcome, FROST_SIGNING_STEPS, type FrostSigningDeps, type FrostSigningStep, processFrostSigningRequest,
} from '../signing/sign-frost-withdrawal';
import { contentKey, describeOutcome, fetchWithdrawal, processSigningRequest, type SigningDeps } from '../signing/sign-withdrawal';
import { findPinned } from '../state/state-file';
import { confirm, isInteractive } from '../terminal';
import { parseArg, parseCount } from '../validate';

export interface ListenOptions { yes?: boolean; exitAfter?: string; vault?: string }

const HEARTBEAT_MS = 60_000;

export async function runListen(ctx: CliContext, options: ListenOptions): Promise<CommandResult> {
  const exitAfter = options.exitAfter === undefined ? undefined : parseCount(options.exitAfter, '--exit-after', 1, 1_000_000);
  if (options.vault !== undefined) {
    parseArg(idSchema, options.vault, '--vault');
    findPinned(ctx.state.read(), options.vault);
  }
  if (!options.yes && !isInteractive()) {
    throw new ConclaveError('VALIDATION_FAILED', 'listen: no terminal to confirm on; pass --yes to sign every request that passes verification');
  }
  const client = ctx.coordinator();
  if (ctx.state.read().vaults.length === 0) ctx.out.progress('No vault is pinned yet: every request will be skipped until you pin one.');
  // One passphrase, one unlock: the keystore, and the sealing key of the FROST share and nonce files.
  return withFrostSecrets(ctx, (keystore, secrets) => new Listener(ctx, client, keystore, secrets, { yes: options.yes === true, exitAfter, vault: options.vault }).run());
}

interface ListenerOptions { yes: boolean; exitAfter?: number; vault?: string }

const frostEventSchema = z.object({ kind: z.enum(['frost.session', 'frost.retry']), vaultId: idSchema, withdrawalId: idSchema });

/** CONCLAVE_TEST_KILL_AT: end-to-end tests crash the process (kill -9 of itself) right after one durable step. */
function testKillHook(): ((step: FrostSigningStep) => void) | undefined {
  const at = process.env.CONCLAVE_TEST_KILL_AT;
  if (at === undefined || !(FROST_SIGNING_STEPS as readonly string[]).includes(at)) return undefined;
  return (step) => {
    if (step === at) process.kill(process.pid, 'SIGKILL');
  };
}

class Listener {
  private chain: Promise<void> = Promise.resolve();
  private readonly queued = new Set<string>();
  /** The withdrawal being handled, and those to handle again afterwards (a FROST push arrived meanwhile). */
  private running: string | null = null;
  private readonly again = new Set<string>();
  /** FROST withdrawals under way for this signer (looked at again when they leave `signing`); and those counted as signed. */
  private readonly awaitingFrost = new Set<string>();
  private readonly countedFrost = new Set<string>();
  /** Content refused or declined in this session: not shown again unless it changes. */
  private readonly settled = new Set<string>();
  private signed = 0;
  private stopping = false;
  private warnedNotPinned = false;
  private finish: (result: CommandResult) => void = () => undefined;
  private fail: (error: Error) => void = () => undefined;
  private readonly deps: SigningDeps;
  private readonly frostDeps: FrostSigningDeps;
  /** Governed vaults: changes synced on connect, on every governance push and before each withdrawal, and told. */
  private readonly governance: GovernanceFollower;

  constructor(
    private readonly ctx: CliContext,
    private readonly client: CoordinatorClient,
    private readonly keystore: UnlockedKeystore,
    secrets: FrostSecretStore,
    private readonly options: ListenerOptions,
  ) {
    this.deps = {
      client,
      state: ctx.state,
      keystore,
      now: () => ctx.now(),
      confirm: async (review) => {
        process.stderr.write(`\n${review.join('\n')}\n`);
        return confirm('Sign this withdrawal?');
      },
      show: (review) => {
        if (!ctx.out.json) process.stdout.write(`\n${review.join('\n')}\n`);
      },
    };
    this.frostDeps = {
      ...this.deps,
      secrets,
      nonces: new NonceStore(ctx.home, keystore.identityKey, secrets.sealing),
      randomBytes: (n) => new Uint8Array(randomBytes(n)),
      checkpoint: testKillHook(),
    };
    this.governance = new GovernanceFollower({ client, state: ctx.state, now: () => ctx.now() }, ctx.out, options.vault);
  }

  run(): Promise<CommandResult> {
    const stream = new EventStream(
      this.client.wsUrl(),
      (challenge) => this.keystore.signEnvelope(MESSAGE_TYPES.wsAuth, { challenge }, { now: this.ctx.now() }),
      {
        onReady: (memberId) => {
          this.ctx.out.event({ event: 'connected', memberId, coordinator: this.client.baseUrl }, [`Connected to ${this.client.baseUrl} as member ${memberId}; waiting for signing requests.`]);
          void this.governance.syncAll();
          void this.resume();
        },
        onEvent: (event) => this.onEvent(event),
        onStatus: (line) => this.ctx.out.progress(line),
        onFatal: (code, message) => this.fail(new ConclaveError(isErrorCode(code) ? code : 'COORDINATOR_ERROR', `coordinator: ${message}`)),
      },
    );
    const heartbeat = setInterval(() => this.ctx.out.progress(`waiting for signing requests (${this.signed} signed so far)`), HEARTBEAT_MS);
    const onSignal = () => this.stop('signal');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const done = new Promise<CommandResult>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
    stream.start();
    return done.finally(() => {
      this.stopping = true;
      stream.stop();
      this.governance.stop();
      clearInterval(heartbeat);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    });
  }

  private stop(reason: 'signal' | 'exit-after'): void {
    this.stopping = true;
    this.finish({
      data: { event: 'stopped', reason, signed: this.signed },
      text: [`Stopped (${reason === 'signal' ? 'interrupted' : `signed ${this.signed}`}).`],
    });
  }

  private onEvent(event: CoordinatorEvent): void {
    if (event.kind === 'signing.requested' || (event.kind === 'withdrawal.state' && event.state === 'signing')) {
      this.enqueue(event.withdrawalId, event.vaultId);
    } else if (event.kind === 'frost.session' || event.kind === 'frost.retry') {
      const frost = frostEventSchema.safeParse(event);
      if (frost.success) this.enqueue(frost.data.withdrawalId, frost.data.vaultId, true);
      else this.ctx.out.progress(`ignored a ${event.kind} push that is not well formed`);
    } else if (event.kind === 'signature.received') {
      this.ctx.out.progress(`withdrawal ${event.withdrawalId}: ${event.count} of ${event.threshold} signatures`);
    } else if (event.kind === 'withdrawal.state') {
      this.ctx.out.progress(`withdrawal ${event.withdrawalId}: now ${event.state}`);
      if (this.awaitingFrost.has(event.withdrawalId)) this.enqueue(event.withdrawalId, event.vaultId, true);
    } else if (event.kind === 'audit.head') {
      this.recordHead(event);
    } else if ((event as { kind: string }).kind.startsWith('governance.')) {
      this.governance.onEvent(event);
    }
  }

  private recordHead(event: CoordinatorEvent): void {
    const head = auditHeadEventSchema.safeParse(event);
    if (!head.success) {
      this.ctx.out.progress('ignored an audit.head push that is not well formed');
      return;
    }
    const { seq, hash, coordinatorSig } = head.data;
    let outcome: ReturnType<typeof rememberSeenHead>;
    try {
      outcome = rememberSeenHead(this.ctx.state, { seq, hash, coordinatorSig });
    } catch (error) {
      this.ctx.out.progress(`could not record audit head ${seq}: ${(error as Error).message}`);
      return;
    }
    if (outcome.status === 'not-pinned' && !this.warnedNotPinned) {
      this.warnedNotPinned = true;
      this.ctx.out.progress('No coordinator key is pinned, so audit heads are not kept: run "join" again to pin it.');
    } else if (outcome.status === 'bad-signature') {
      this.ctx.out.event(
        { event: 'audit-head-refused', code: 'AUDIT_COORDINATOR_SIG_INVALID', seq, hash },
        [`warning AUDIT_COORDINATOR_SIG_INVALID: audit head seq ${seq} is not signed by the pinned coordinator key; not recorded. Run "audit verify".`],
      );
    } else if (outcome.status === 'conflict') {
      this.ctx.out.event(
        { event: 'audit-history-rewritten', code: 'AUDIT_HISTORY_REWRITTEN', seq, seenHash: outcome.previous.hash, pushedHash: hash },
        [
          `ALERT AUDIT_HISTORY_REWRITTEN: the coordinator signed head seq ${seq} as ${hash}, but this signer saw ${outcome.previous.hash} there before.`,
          '  The coordinator rewrote its history: sign nothing more through it, keep state.json as evidence, and tell the other keyholders.',
        ],
      );
    }
  }

  /** Catch up on withdrawals waiting for signatures in the pinned vaults (after a restart or a drop). */
  private async resume(): Promise<void> {
    const state = this.ctx.state.read();
    const vaults = state.vaults.filter((v) => this.options.vault === undefined || v.vaultId === this.options.vault);
    // FROST shares sent before a stop, whose transaction may have completed meanwhile.
    const frostVaults = new Set(vaults.filter((v) => v.kind === 'tr-frost').map((v) => v.vaultId));
    for (const e of state.journal) if (e.submittedAt === null && frostVaults.has(e.vaultId)) this.enqueue(e.withdrawalId, e.vaultId);
    for (const id of this.awaitingFrost) this.enqueue(id, '');
    for (const vault of vaults) {
      try {
        const withdrawals = await this.client.get(`/api/v1/vaults/${vault.vaultId}/withdrawals`, z.array(withdrawalViewSchema));
        for (const w of withdrawals) if (w.state === 'signing') this.enqueue(w.id, w.vaultId);
      } catch (error) {
        this.ctx.out.progress(`could not list withdrawals of vault ${vault.vaultId}: ${(error as Error).message}`);
      }
    }
  }

  /**
   * Queues one withdrawal (once). `again`: a push that may change what to do (a FROST session
   * opened) arrived, so a withdrawal being handled right now is handled once more afterwards.
   */
  private enqueue(withdrawalId: string, vaultId: string, again = false): void {
    if (this.stopping) return;
    // An empty vault id: known to be one of ours already; handle() filters by the fetched withdrawal.
    if (this.options.vault !== undefined && vaultId !== '' && vaultId !== this.options.vault) return;
    if (this.queued.has(withdrawalId)) {
      if (again && this.running === withdrawalId) this.again.add(withdrawalId);
      return;
    }
    this.queued.add(withdrawalId);
    this.chain = this.chain
      .then(() => {
        this.running = withdrawalId;
        return this.handle(withdrawalId);
      })
      .finally(() => {
        this.running = null;
        this.queued.delete(withdrawalId);
        if (this.again.delete(withdrawalId)) this.enqueue(withdrawalId, vaultId);
      });
  }

  private async handle(withdrawalId: string): Promise<void> {
    if (this.stopping) return;
    try {
      const withdrawal = await fetchWithdrawal(this.client, withdrawalId);
      if (this.options.vault !== undefined && withdrawal.vaultId !== this.options.vault) return;
      const key = contentKey(withdrawal);
      if (this.settled.has(key)) return;
      // A change that took effect is pinned before anything is verified under the vault's rules.
      await this.governance.beforeWithdrawal(withdrawal.vaultId);
      if (this.ctx.state.read().vaults.find((v) => v.vaultId === withdrawal.vaultId)?.kind === 'tr-frost') {
        await this.handleFrost(withdrawal, key);
        return;
      }
      const outcome = await processSigningRequest(this.deps, withdrawal, { yes: this.options.yes });
      const { data, text } = describeOutcome(outcome);
      this.ctx.out.event(data, text);
      if (outcome.status === 'refused' || outcome.status === 'declined') this.settled.add(key);
      if (outcome.status === 'signed') this.countSigned();
    } catch (error) {
      const code = error instanceof ConclaveError ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      this.ctx.out.event({ event: 'error', withdrawalId, code, message }, [`error ${code} on withdrawal ${withdrawalId}: ${message}`]);
    }
  }

  private async handleFrost(withdrawal: WithdrawalViewParsed, key: string): Promise<void> {
    const outcomes = await processFrostSigningRequest(this.frostDeps, withdrawal, { yes: this.options.yes });
    // Under way: when the withdrawal leaves `signing`, look again (signed with this signer's shares, or not).
    if (withdrawal.state === 'signing' && outcomes.some((o) => ['committed', 'shared', 'waiting', 'nonce-used', 'session-refused'].includes(o.status))) {
      this.awaitingFrost.add(withdrawal.id);
    }
    for (const outcome of outcomes) {
      if (outcome.status === 'waiting') {
        this.ctx.out.progress(`withdrawal ${outcome.withdrawalId}: ${outcome.reason}`);
        continue;
      }
      if (outcome.status === 'refused' || outcome.status === 'declined') this.settled.add(key);
      // A session refused, or one this signer cannot sign in, is reported once.
      if (outcome.status === 'session-refused' || outcome.status === 'nonce-used') {
        const seen = `${outcome.status}:${outcome.sessionId}`;
        if (this.settled.has(seen)) continue;
        this.settled.add(seen);
      }
      if (outcome.status === 'skipped' && this.countedFrost.has(outcome.withdrawalId)) continue;
      if (outcome.status === 'signed' && this.countedFrost.has(outcome.withdrawalId)) continue;
      const { data, text } = describeFrostOutcome(outcome);
      this.ctx.out.event(data, text);
      if (outcome.status === 'skipped') this.awaitingFrost.delete(outcome.withdrawalId);
      if (outcome.status === 'signed') {
        this.awaitingFrost.delete(outcome.withdrawalId);
        this.countedFrost.add(outcome.withdrawalId);
        this.countSigned();
      }
    }
  }

  private countSigned(): void {
    this.signed += 1;
    if (this.options.exitAfter !== undefined && this.signed >= this.options.exitAfter) this.stop('exit-after');
  }
}
