/**
 * A FROST vault as this signer sees it, derived from its own DKG result and checked against
 * the coordinator (DESIGN.md, root of trust): the `tr(xpub/<0;1>/*)` descriptor and first
 * address computed here (never taken from the coordinator), the sealed share record, and the
 * pin that goes into state.json once the coordinator's vault matches the params every
 * participant signed. Pure: no I/O; dkg-runner.ts does the waiting and the writing.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from '../../protocol/canonical-json';
import {
  addChecksum, deriveVaultScript, descriptorHash, formatVaultDescriptor, parseVaultDescriptor, segwitAddress, trScript,
  type FrostVaultDescriptor,
} from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import {
  baseKeyFromDkg, childPublicPackage, groupXpub, verifyCertificate, type ConfirmationMessage, type DkgResult, type DkgState,
} from '../../protocol/frost';
import { identityFingerprint } from '../../protocol/identity';
import { networkParams, type NetworkName } from '../../protocol/network';
import { policyHash } from '../../protocol/policy';
import type { PinnedVault } from '../state/state-file';
import { checkPolicyFits } from '../vault/policy-fit';
import { encodeBaseKey, type FrostShareRecord } from './frost-files';
import type { FrostVaultViewParsed, RelayedFrostSetup } from './relayed-frost-setup';

/** What `tr(xpub/<0;1>/*)` this signer's own DKG result gives: derived here, never taken from the coordinator. */
export function frostVaultFromResult(result: DkgResult, network: NetworkName): {
  key: ReturnType<typeof baseKeyFromDkg>['key']; share: ReturnType<typeof baseKeyFromDkg>['share'];
  groupXpub: string; descriptor: string; parsed: FrostVaultDescriptor; firstAddress: string;
} {
  const { key, share } = baseKeyFromDkg(result.keyPackage, hexToBytes(result.untweakedGroupKey));
  const chainCode = hexToBytes(result.chainCode);
  const xpub = groupXpub(key, chainCode, network);
  const parsed = parseVaultDescriptor(addChecksum(`tr(${xpub}/<0;1>/*)`), network, ['tr-frost']);
  // The first address two ways: from the FROST key package (what signing will use) and from the
  // descriptor (what watch-only wallets use). They MUST agree, or funds could go where no share signs.
  const first = childPublicPackage(key, chainCode, 0, 0);
  const firstAddress = segwitAddress(trScript(first.outputKey), networkParams(network).bech32);
  if (deriveVaultScript(parsed, 0, 0).address !== firstAddress) {
    share.signingShare.fill(0);
    throw new ConclaveError('INTERNAL', 'frost: the descriptor and the key package give different first addresses');
  }
  return { key, share, groupXpub: xpub, descriptor: formatVaultDescriptor(parsed), parsed, firstAddress };
}

export function shareRecord(dkg: DkgState, result: DkgResult, confirmation: ConfirmationMessage): FrostShareRecord {
  const { params, paramsHash, myIndex } = dkg;
  const vault = frostVaultFromResult(result, params.network);
  try {
    return {
      v: 1,
      kind: 'conclave.frost-share',
      setupId: params.setupId,
      network: params.network,
      vaultName: params.vault.name,
      paramsHash,
      transcriptHash: result.transcriptHash,
      myIndex,
      identifier: vault.share.identifier,
      signingShare: bytesToHex(vault.share.signingShare),
      key: encodeBaseKey(vault.key),
      chainCode: result.chainCode,
      groupXpub: vault.groupXpub,
      descriptor: vault.descriptor,
      firstAddress: vault.firstAddress,
      confirmation: confirmation as FrostShareRecord['confirmation'],
      certificate: null,
      vaultId: null,
    };
  } finally {
    vault.share.signingShare.fill(0);
  }
}

/**
 * The pin for a FROST vault, after checking the coordinator's vault against this signer's own
 * result and the params every participant signed: descriptor (by hash), name, network,
 * threshold, policy and its hash (and that the policy fits the participants: vault/policy-fit.ts),
 * members in participant order. Throws PIN_MISMATCH.
 */
export function frostPin(record: FrostShareRecord, setup: RelayedFrostSetup, vault: FrostVaultViewParsed, vaultId: string, myIndex: number, now: Date): PinnedVault {
  const mismatch = (what: string) => new ConclaveError('PIN_MISMATCH', `vault ${vaultId}: ${what}`, { vaultId, setupId: setup.setupId });
  const { params } = setup;
  const network = params.network;
  const mine = parseVaultDescriptor(record.descriptor, network, ['tr-frost']);
  if (vault.id !== vaultId) throw mismatch(`the coordinator answered with vault ${vault.id}`);
  if (vault.kind !== undefined && vault.kind !== 'tr-frost') throw mismatch(`is a ${vault.kind} vault, not the FROST vault of setup ${setup.setupId}`);
  let theirs: string;
  try {
    theirs = descriptorHash(parseVaultDescriptor(vault.descriptor, network, ['tr-frost']));
  } catch (error) {
    throw mismatch(`its descriptor is not a FROST vault descriptor (${(error as Error).message})`);
  }
  if (theirs !== descriptorHash(mine)) {
    throw mismatch(`the coordinator's descriptor ${vault.descriptor} is not ${record.descriptor}, which this signer derived from its own DKG`);
  }
  if (vault.network !== network || vault.threshold !== params.threshold || vault.name !== params.vault.name) {
    throw mismatch('its name, network or threshold differs from the params every participant signed');
  }
  const pinnedPolicyHash = policyHash(params.vault.policy);
  if (canonicalJson(vault.policy) !== canonicalJson(params.vault.policy) || vault.policyHash !== pinnedPolicyHash) {
    throw mismatch('its policy differs from the one in the params every participant signed');
  }
  const keys = params.participants.map((p) => p.identityKey);
  if (vault.members.length !== keys.length || vault.members.some((m, i) => m.identityKey !== keys[i])) {
    throw mismatch('its members are not the participants of the setup, in order');
  }
  checkPolicyFits(params.vault.policy, keys, vaultId, network);
  return {
    vaultId,
    name: params.vault.name,
    network,
    threshold: params.threshold,
    descriptor: record.descriptor,
    descriptorHash: descriptorHash(mine),
    members: params.participants.map((p, i) => ({ identityKey: p.identityKey, name: p.name ?? vault.members[i].name, fingerprint: identityFingerprint(p.identityKey) })),
    ownIndex: myIndex,
    firstAddress: record.firstAddress,
    policy: params.vault.policy,
    policyHash: pinnedPolicyHash,
    pinnedAt: now.toISOString(),
    kind: 'tr-frost',
    frost: { setupId: setup.setupId, paramsHash: record.paramsHash, transcriptHash: record.transcriptHash, identifier: record.identifier, groupXpub: record.groupXpub },
  };
}

/**
 * A setup this signer already pinned the vault of, checked again (no secret needed): the
 * coordinator must still show the certificate over the pinned transcript hash, and the vault
 * with the pinned descriptor. Throws PIN_MISMATCH.
 */
export function recheckPinned(pin: PinnedVault, setup: RelayedFrostSetup, vault: FrostVaultViewParsed): void {
  const mismatch = (what: string) => new ConclaveError('PIN_MISMATCH', `vault ${pin.vaultId}: ${what} than pinned on ${pin.pinnedAt}`, { vaultId: pin.vaultId, setupId: setup.setupId });
  if (setup.state !== 'complete' || setup.vaultId !== pin.vaultId) throw mismatch(`the coordinator now shows setup ${setup.setupId} at ${setup.state}, for vault ${setup.vaultId}, other`);
  try {
    verifyCertificate(setup.certificate, { transcriptHash: pin.frost?.transcriptHash ?? '' });
  } catch {
    throw mismatch('the coordinator now shows another certificate');
  }
  let hash: string | undefined;
  try {
    hash = descriptorHash(parseVaultDescriptor(vault.descriptor, pin.network, ['tr-frost']));
  } catch {
    hash = undefined;
  }
  if (vault.id !== pin.vaultId || hash !== pin.descriptorHash) throw mismatch('the coordinator now shows another vault descriptor');
}
