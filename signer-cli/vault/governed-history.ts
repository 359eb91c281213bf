/**
 * How a governed vault got from the policy its creator signed to the one the coordinator shows
 * now, as a signer that pins it late sees it (a keyholder restoring their seed into a new home
 * after a quorum replaced their lost identity key, DESIGN.md): starting from the signed policy,
 * the quorum-approved changes the coordinator relays are applied one by one, exactly as
 * `governance sync` applies them (applyChange on the signed evidence, in effect order), by this
 * signer's clock. The coordinator's word counts for nothing here: a change without its quorum,
 * its delay or the right base is simply not applied, and the result must then equal the policy
 * shown or the pin is refused.
 *
 * The identity keys a `member.replace-credentials` replaced are followed too: the vault's
 * formation evidence (join and create statements) is signed by the keys of its time, and each
 * is accepted for the keyholder the quorum moved it to.
 */
import type { NetworkName } from '../../protocol/network';
import { GOVERNED_POLICY_VERSION, type GovernedPolicy, type VaultPolicy, governedPolicyOf, pinnedPolicyState } from '../../protocol/policy';
import type { ChangeViewParsed } from '../coordinator/views';
import { assessChange, byEffectiveTime } from '../governance/assess';
import type { AppliedChange } from '../state/state-file';

export interface GovernedHistory {
  /** The policy the accepted changes lead to. */
  policy: GovernedPolicy;
  /** The changes applied, in order, as `governance sync` records them. */
  appliedChanges: AppliedChange[];
  /** Identity key → the key a quorum replaced it by (in the order replaced; follow with `currentKey`). */
  replacedKeys: Map<string, string>;
}

/** Null for a simple (version 1) policy, which takes no changes. */
export function replayGovernance(vaultId: string, network: NetworkName, created: VaultPolicy, views: readonly ChangeViewParsed[], now: Date): GovernedHistory | null {
  if (created.version !== GOVERNED_POLICY_VERSION) return null;
  let state = pinnedPolicyState(vaultId, network, created);
  const appliedChanges: AppliedChange[] = [];
  const replacedKeys = new Map<string, string>();
  const tried = new Set<string>();
  for (;;) {
    const next = views.map((view) => assessChange(state, view, now, appliedChanges))
      .filter((a) => a.verdict === 'ready' && !tried.has(a.changeId)).sort(byEffectiveTime)[0];
    if (next === undefined) return { policy: governedPolicyOf(state), appliedChanges, replacedKeys };
    tried.add(next.changeId);
    if (next.result === null || !next.result.ok) continue;
    const change = next.result.review.change;
    if (change?.op === 'member.replace-credentials' && change.newIdentityKey !== undefined) replacedKeys.set(change.identityKey, change.newIdentityKey);
    appliedChanges.push({ changeId: next.changeId, op: next.op, appliedAt: now.toISOString(), effectiveAt: next.effectiveAt?.toISOString() ?? null });
    state = next.result.state;
  }
}

/** The key that speaks for whoever `identityKey` was at the vault's formation, after every replacement. */
export function currentKey(history: GovernedHistory | null, identityKey: string): string {
  let key = identityKey;
  // Bounded: the policy engine never gives a key to two members, so the chain cannot loop; the bound guards a bug.
  for (let hops = 0; hops < 64 && history?.replacedKeys.has(key); hops += 1) key = history.replacedKeys.get(key)!;
  return key;
}
