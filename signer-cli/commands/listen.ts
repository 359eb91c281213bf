/**
 * `listen [--yes] [--exit-after <n>] [--vault <id>]`: the keyholder's signing loop. Connects
 * to the coordinator's event stream, and on every (re)connect also looks for withdrawals left
 * in state `signing` in the pinned vaults, so a signer that was down or killed resumes where it
 * stopped. Each request is verified, shown, confirmed (unless --yes), journaled, signed and
 * submitted one at a time; anything that fails verification is refused with every reason.
 * Every `audit.head` pushed is kept in state.json once its coordinator signature verifies under
 * the pinned key, so that `audit verify` can later tell whether history was rewritten.
 */
import { z } from 'zod';
import { MESSAGE_TYPES, idSchema, type CoordinatorEvent } from '../../protocol/api';
import { ConclaveError, isErrorCode } from '../../protocol/errors';
import type { CliContext } from '../context';
import type { CoordinatorClient } from '../coordinator/client';
import { rememberSeenHead } from '../audit/seen-heads';
import { EventStream } from '../coordinator/event-stream';
import { auditHeadEventSchema, withdrawalViewSchema } from '../coordinator/views';
import type { UnlockedKeystore } from '../keystore/keystore';
import type { CommandResult } from '../output';
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
  return ctx.withKeystore((keystore) => new Listener(ctx, client, keystore, { yes: options.yes === true, exitAfter, vault: options.vault }).run());
}

interface ListenerOptions { yes: boolean; exitAfter?: number; vault?: string }

class Listener {
  private chain: Promise<void> = Promise.resolve();
  private readonly queued = new Set<string>();
  /** Content refused or declined in this session: not shown again unless it changes. */
  private readonly settled = new Set<string>();
  private signed = 0;
  private stopping = false;
  private warnedNotPinned = false;
  private finish: (result: CommandResult) => void = () => undefined;
  private fail: (error: Error) => void = () => undefined;
  private readonly deps: SigningDeps;

  constructor(
    private readonly ctx: CliContext,
    private readonly client: CoordinatorClient,
    private readonly keystore: UnlockedKeystore,
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
  }

  run(): Promise<CommandResult> {
    const stream = new EventStream(
      this.client.wsUrl(),
      (challenge) => this.keystore.signEnvelope(MESSAGE_TYPES.wsAuth, { challenge }, { now: this.ctx.now() }),
      {
        onReady: (memberId) => {
          this.ctx.out.event({ event: 'connected', memberId, coordinator: this.client.baseUrl }, [`Connected to ${this.client.baseUrl} as member ${memberId}; waiting for signing requests.`]);
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
    } else if (event.kind === 'signature.received') {
      this.ctx.out.progress(`withdrawal ${event.withdrawalId}: ${event.count} of ${event.threshold} signatures`);
    } else if (event.kind === 'withdrawal.state') {
      this.ctx.out.progress(`withdrawal ${event.withdrawalId}: now ${event.state}`);
    } else if (event.kind === 'audit.head') {
      this.recordHead(event);
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
    const vaults = this.ctx.state.read().vaults.filter((v) => this.options.vault === undefined || v.vaultId === this.options.vault);
    for (const vault of vaults) {
      try {
        const withdrawals = await this.client.get(`/api/v1/vaults/${vault.vaultId}/withdrawals`, z.array(withdrawalViewSchema));
        for (const w of withdrawals) if (w.state === 'signing') this.enqueue(w.id, w.vaultId);
      } catch (error) {
        this.ctx.out.progress(`could not list withdrawals of vault ${vault.vaultId}: ${(error as Error).message}`);
      }
    }
  }

  private enqueue(withdrawalId: string, vaultId: string): void {
    if (this.stopping || this.queued.has(withdrawalId)) return;
    if (this.options.vault !== undefined && vaultId !== this.options.vault) return;
    this.queued.add(withdrawalId);
    this.chain = this.chain
      .then(() => this.handle(withdrawalId))
      .finally(() => this.queued.delete(withdrawalId));
  }

  private async handle(withdrawalId: string): Promise<void> {
    if (this.stopping) return;
    try {
      const withdrawal = await fetchWithdrawal(this.client, withdrawalId);
      if (this.options.vault !== undefined && withdrawal.vaultId !== this.options.vault) return;
      const key = contentKey(withdrawal);
      if (this.settled.has(key)) return;
      const outcome = await processSigningRequest(this.deps, withdrawal, { yes: this.options.yes });
      const { data, text } = describeOutcome(outcome);
      this.ctx.out.event(data, text);
      if (outcome.status === 'refused' || outcome.status === 'declined') this.settled.add(key);
      if (outcome.status === 'signed') {
        this.signed += 1;
        if (this.options.exitAfter !== undefined && this.signed >= this.options.exitAfter) this.stop('exit-after');
      }
    } catch (error) {
      const code = error instanceof ConclaveError ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      this.ctx.out.event({ event: 'error', withdrawalId, code, message }, [`error ${code} on withdrawal ${withdrawalId}: ${message}`]);
    }
  }
}
