/**
 * `frost join <setupId> [--yes]`: take part in a FROST key generation (issue 4, point 1). The
 * setup is read as its opener signed it (frost/relayed-frost-setup.ts), checked (this signer is
 * a participant, same network, deadline by this machine's clock) and shown: M, N, this signer's
 * position, every participant's identity-key fingerprint to compare out of band, the policy.
 * After the keyholder agrees (or --yes), the rounds run to the end (frost/dkg-runner.ts): the
 * vault is pinned once the certificate verifies and the coordinator's descriptor is the one
 * derived here. Run again after a crash or a kill, it continues from the sealed state.
 */
import { frostSetupIdSchema } from '../../protocol/frost';
import type { CliContext } from '../context';
import { assertFreshStart, assertSetupAlive, type FrostDkgOutcome } from '../frost/dkg-runner';
import { recheckPinned } from '../frost/frost-vault';
import { checkSetupForSigner, confirmTakingPart, localResumePoint, outcomeResult, reviewLines, runWithKeystore } from '../frost/frost-session';
import { httpFrostRelay } from '../frost/relayed-frost-setup';
import type { CommandResult } from '../output';
import { parseArg } from '../validate';

export interface FrostJoinOptions { yes?: boolean }

export async function runFrostJoin(ctx: CliContext, setupId: string, options: FrostJoinOptions): Promise<CommandResult> {
  parseArg(frostSetupIdSchema, setupId, 'setupId');
  const pub = ctx.keystorePublic();
  const relay = httpFrostRelay(ctx.coordinator());
  const setup = await relay.setup(setupId);
  const point = localResumePoint(ctx, setupId);
  if (point !== 'pinned') checkSetupForSigner(setup, pub);
  const review = reviewLines(setup.params, setup.opener, setup.expiresAt, pub.identityKey, setup.paramsHash);
  if (point === 'fresh') {
    assertSetupAlive(setup, ctx.now());
    assertFreshStart(setup, pub.identityKey, ctx.home);
    await confirmTakingPart(review, options.yes, `frost join ${setupId}`);
  } else {
    ctx.out.progress(`Resuming FROST setup ${setupId} from this signer's saved ${point === 'dkg' ? 'DKG state' : point === 'share' ? 'key share' : 'pin'}.`);
  }
  const pinned = ctx.state.read().vaults.find((v) => v.frost?.setupId === setupId);
  let outcome: FrostDkgOutcome;
  if (pinned === undefined) {
    outcome = await runWithKeystore(ctx, relay, setupId, setup, {});
  } else {
    // Done before: checked again against the coordinator, without the passphrase.
    recheckPinned(pinned, setup, await relay.vault(pinned.vaultId));
    outcome = { status: 'complete', setup, myIndex: pinned.ownIndex, pin: pinned, alreadyPinned: true, resumed: true };
  }
  const result = outcomeResult(outcome, pub.identityKey);
  return { data: result.data, text: [...(options.yes ? review : []), ...result.text] };
}
